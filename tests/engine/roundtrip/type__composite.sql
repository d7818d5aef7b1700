-- A composite type added and used by a column; one dropped.
-- source
create type gone as (a int);
create table t (id int);
-- target
create type "Point3" as (x float8, y float8, "z""" float8);
create table t (id int, at "Point3");
