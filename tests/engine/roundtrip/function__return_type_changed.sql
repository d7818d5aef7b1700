-- A function whose result type changes (CREATE OR REPLACE refuses it: dropped and created
-- again) with a view and a SQL-standard function over it; a function over a view that
-- changes; a function taking an enum that loses a label (re-made around it).
-- source
create type "Lvl" as enum ('low', 'mid', 'high');
create table job (id int, lvl "Lvl");
create function "pri'ce"(n int) returns int language sql immutable return n * 2;
create view "priced; --" as select id, "pri'ce"(id) as p from job;
create function twice() returns bigint language sql begin atomic select sum(p) from "priced; --"; end;
create view recent as select id from job where id > 10;
create function recent_count() returns bigint language sql return (select count(*) from recent);
create function by_lvl(l "Lvl") returns bigint language sql stable
    as $$ select count(*) from job where lvl = l $$;
-- target
create type "Lvl" as enum ('low', 'high');
create table job (id int, lvl "Lvl");
create function "pri'ce"(n int) returns numeric language sql immutable return n * 2.5;
create view "priced; --" as select id, "pri'ce"(id) as p from job;
create function twice() returns numeric language sql begin atomic select sum(p) from "priced; --"; end;
create view recent as select id from job where id > 20;
create function recent_count() returns bigint language sql return (select count(*) from recent);
create function by_lvl(l "Lvl") returns bigint language sql stable
    as $$ select count(*) from job where lvl = l $$;
