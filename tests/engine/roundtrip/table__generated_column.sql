-- A generated column's expression changes (the last column: re-made in place); one added.
-- source
create table t (a int, b int generated always as (a * 2) stored);
create table u (a int);
-- target
create table t (a int, b int generated always as (a * 3) stored);
create table u (a int, "c'd" int generated always as (a + 1) stored);
