-- A trigger on a partitioned table (cloned to its partitions) and one on a partition.
-- source
create function stamp() returns trigger language plpgsql as $$ begin return new; end $$;
create table log (id int, at date) partition by range (at);
create table log_a partition of log for values from ('2024-01-01') to ('2025-01-01');
-- target
create function stamp() returns trigger language plpgsql as $$ begin return new; end $$;
create table log (id int, at date) partition by range (at);
create table log_a partition of log for values from ('2024-01-01') to ('2025-01-01');
create trigger log_stamp before insert on log for each row execute function stamp();
create trigger a_only after update on log_a for each row execute function stamp();
