-- An enum with a hostile name and labels loses a label: re-made, with a column of it and a
-- column of an array of it re-typed, in a schema with a hostile name.
-- source
create schema "E;num";
create type "E;num"."St""at'e" as enum ('new', 'O''Brien', 'x"); drop table t; --');
create table "E;num"."Ta sk" (id int, s "E;num"."St""at'e" not null default 'new',
                              hist "E;num"."St""at'e"[] default '{}');
-- target
create schema "E;num";
create type "E;num"."St""at'e" as enum ('O''Brien', 'new');
create table "E;num"."Ta sk" (id int, s "E;num"."St""at'e" not null default 'O''Brien',
                              hist "E;num"."St""at'e"[] default '{}');
