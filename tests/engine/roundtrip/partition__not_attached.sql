-- A table that will be a partition exists but is not attached; then it is.
-- source
create table log (id int, at date) partition by range (at);
create table log_2024 (id int, at date);
-- target
create table log (id int, at date) partition by range (at);
create table log_2024 partition of log for values from ('2024-01-01') to ('2025-01-01');
