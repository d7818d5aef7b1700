-- A generated column added at the end, one whose expression changes.
-- source
create table t (a int, b int generated always as (a * 2) stored);
-- target
create table t (a int, b int generated always as (a * 3) stored,
                c int generated always as (a + 1) stored);
