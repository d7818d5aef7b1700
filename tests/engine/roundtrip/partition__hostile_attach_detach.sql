-- List partitions with hostile names attached, detached, re-bounded; a default partition; a
-- partition partitioned in its turn; a partitioned table whose key changes (re-made with its
-- partitions).
-- source
create schema "P;s";
create table "P;s"."Reg""ion" (id int not null, code text not null, at date not null)
    partition by list (code);
create table "P;s"."r'eu" partition of "P;s"."Reg""ion" for values in ('eu', 'uk');
create table "P;s"."r us" partition of "P;s"."Reg""ion" for values in ('us');
create table "P;s"."loose" (id int not null, code text not null, at date not null);
create table "P;s"."K""ey" (id int, at date) partition by range (at);
create table "P;s"."k_1" partition of "P;s"."K""ey" for values from ('2024-01-01') to ('2025-01-01');
-- target
create schema "P;s";
create table "P;s"."Reg""ion" (id int not null, code text not null, at date not null)
    partition by list (code);
create table "P;s"."r'eu" partition of "P;s"."Reg""ion" for values in ('eu', 'uk', 'ie');
create table "P;s"."r us" (id int not null, code text not null, at date not null);
create table "P;s"."loose" partition of "P;s"."Reg""ion" for values in ('x''y')
    partition by range (at);
create table "P;s"."loose_2024" partition of "P;s"."loose"
    for values from ('2024-01-01') to ('2025-01-01');
create table "P;s"."r_rest" partition of "P;s"."Reg""ion" default;
create table "P;s"."K""ey" (id int, at date) partition by list (id);
create table "P;s"."k_1" partition of "P;s"."K""ey" for values in (1, 2);
