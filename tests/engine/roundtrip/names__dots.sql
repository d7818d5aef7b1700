-- Names holding dots: a sequence with options, a generated column changed, a partition
-- re-bounded, a view over a re-typed column.
-- source
create sequence "s.1";
create table "t.1" ("a.b" int, "g.1" int generated always as ("a.b" * 2) stored);
create table "p.1" (id int, at date) partition by range (at);
create table "p.1.a" partition of "p.1" for values from ('2024-01-01') to ('2024-07-01');
create table "r.1" (n int);
create view "v.1" as select n from "r.1";
create view "v.2" as select n from "v.1";
create table "c.1" (id int);
-- target
create sequence "s.1" increment 5 start 10;
create table "t.1" ("a.b" int, "g.1" int generated always as ("a.b" * 3) stored);
create table "p.1" (id int, at date) partition by range (at);
create table "p.1.a" partition of "p.1" for values from ('2024-01-01') to ('2025-01-01');
create table "r.1" (n bigint);
create view "v.1" as select n from "r.1";
create view "v.2" as select n from "v.1";
create table "c.1" (id int, "new.col" text default 'x.y', constraint "k.1" check (id > 0));
