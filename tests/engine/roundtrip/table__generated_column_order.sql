-- expect: not scripted
-- A generated column re-made (its expression changes) before a column added after it: the
-- re-made column would come last, so the order cannot be scripted.
-- source
create table t (a int, b int generated always as (a * 2) stored);
-- target
create table t (a int, b int generated always as (a * 3) stored, c int);
