-- A table becomes a view of the same name over a new table; a view reads it.
-- source
create schema x;
create table x.data (id uuid, name text);
create view x.q as select * from x.data;
-- target
create schema x;
create table x.t_data (id uuid, name text);
create view x.data as select * from x.t_data;
create view x.q as select * from x.data;
