-- Composite types with hostile names: one using another (made after it), one used by a column
-- gaining and losing attributes in place, an unused one re-typed, an unused one reordered
-- (dropped and made again), one dropped with the type it used.
-- source
create schema "Ty'pes";
create type "Ty'pes"."In; ner" as (a int);
create type "Ty'pes".outer_gone as (i "Ty'pes"."In; ner");
create type "Ty'pes"."Used" as ("x""1" int, drop_me text);
create table "Ty'pes".t (u "Ty'pes"."Used");
create type "Ty'pes".retyped as (n int);
create type "Ty'pes".reordered as (a int, b text);
-- target
create schema "Ty'pes";
create type "Ty'pes"."Used" as ("x""1" int, "add'ed" numeric(10,2));
create table "Ty'pes".t (u "Ty'pes"."Used");
create type "Ty'pes".retyped as (n bigint);
create type "Ty'pes".reordered as (b text, a int);
create type "Ty'pes"."Z base" as (v text);
create type "Ty'pes".a_top as (z "Ty'pes"."Z base"[], w "Ty'pes".retyped);
