-- Views and a materialized view whose names and column aliases hold quotes and semicolons.
-- source
create table "T" ("x;y" int);
-- target
create table "T" ("x;y" int);
create view "v""1; drop table ""T""" as select "x;y" as "it's" from "T";
create materialized view "mv'" as select count(*) as "n""" from "T";
comment on view "v""1; drop table ""T""" is 'a view; --';
