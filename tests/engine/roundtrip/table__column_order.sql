-- expect: not scripted
-- Columns in another order: no ALTER puts a column before another.
-- source
create table t (a int, b int);
-- target
create table t (b int, a int);
