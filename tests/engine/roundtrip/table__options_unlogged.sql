-- Storage options and a table dropped.
-- source
create table t (id int);
create table gone (id int);
-- target
create table t (id int) with (fillfactor = 70, autovacuum_enabled = false);
