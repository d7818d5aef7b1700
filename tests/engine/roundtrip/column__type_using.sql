-- Columns re-typed (USING the cast), with defaults that change or stay, to and from an enum,
-- with hostile names.
-- source
create schema "Sch;ema";
create type "Sch;ema"."Mo""od" as enum ('sad', 'ok');
create table "Sch;ema"."T'able" (
    "N; o" text default '1',
    "Big" int default 7 not null,
    "v""c" varchar(10) collate "C",
    "m" "Sch;ema"."Mo""od" default 'ok',
    "s" text
);
-- target
create schema "Sch;ema";
create type "Sch;ema"."Mo""od" as enum ('sad', 'ok');
create table "Sch;ema"."T'able" (
    "N; o" integer default 2,
    "Big" bigint default 7 not null,
    "v""c" text,
    "m" text default 'ok',
    "s" "Sch;ema"."Mo""od" default 'sad'
);
