-- A partition's bound changes; a default partition is added; a check on the parent.
-- source
create table log (id int, at date) partition by range (at);
create table log_a partition of log for values from ('2024-01-01') to ('2024-07-01');
-- target
create table log (id int, at date, constraint log_id check (id > 0)) partition by range (at);
create table log_a partition of log for values from ('2024-01-01') to ('2025-01-01');
create table log_rest partition of log default;
