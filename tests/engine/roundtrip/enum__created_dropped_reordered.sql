-- Enums in a schema with a hostile name: one created (a new table uses it), one dropped with
-- the table and function that used it, one whose labels are reordered (re-made), an empty one
-- gaining its first label, one gaining a label before its first.
-- source
create schema "En'um; s";
create type "En'um; s".gone as enum ('a', 'b');
create table "En'um; s".old_use (g "En'um; s".gone);
create function "En'um; s".takes(g "En'um; s".gone) returns int language sql as $$ select 1 $$;
create type "En'um; s"."Order" as enum ('one', 'two', 'three');
create table "En'um; s".uses_order (o "En'um; s"."Order" default 'two');
create type "En'um; s".empty as enum ();
create type "En'um; s".front as enum ('m', 'z');
-- target
create schema "En'um; s";
create type "En'um; s"."New; --" as enum ('it''s', 'back\slash');
create table "En'um; s".new_use (n "En'um; s"."New; --");
create type "En'um; s"."Order" as enum ('three', 'one', 'two');
create table "En'um; s".uses_order (o "En'um; s"."Order" default 'two');
create type "En'um; s".empty as enum ('first');
create type "En'um; s".front as enum ('a', 'm', 'z');
