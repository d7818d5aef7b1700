-- Sequences with hostile names in a hostile schema: one moves from a dropped table's column
-- to a new table's, one changes type and options, one a new table's default uses, one goes.
-- source
create schema "Se'q; s";
create table "Se'q; s"."Old ""t""" ("I'd" int);
create sequence "Se'q; s"."Moves; --" owned by "Se'q; s"."Old ""t"""."I'd";
create sequence "Se'q; s".small as bigint maxvalue 1000;
create sequence "Se'q; s".gone;
-- target
create schema "Se'q; s";
create table "Se'q; s"."New ""t""" ("I'd" int);
create sequence "Se'q; s"."Moves; --" owned by "Se'q; s"."New ""t"""."I'd";
create sequence "Se'q; s".small as smallint increment by 3 maxvalue 500 cache 2 cycle;
create sequence "Se'q; s"."Used" start 5 minvalue 5;
create table "Se'q; s".uses (id int default nextval('"Se''q; s"."Used"'));
