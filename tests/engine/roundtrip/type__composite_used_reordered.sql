-- expect: not scripted
-- A composite type a column uses has its attributes reordered: ALTER TYPE cannot, and the
-- column keeps the type from being dropped.
-- source
create type pair as (a int, b text);
create table t (p pair);
-- target
create type pair as (b text, a int);
create table t (p pair);
