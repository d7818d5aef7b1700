-- A partition re-made (it becomes partitioned itself) keeps its parent's trigger and key.
-- source
create function stamp() returns trigger language plpgsql as $$ begin return new; end $$;
create table log (id int, region text, at date, primary key (id, at, region))
    partition by range (at);
create table log_a partition of log for values from ('2024-01-01') to ('2025-01-01');
create trigger log_stamp before insert on log for each row execute function stamp();
-- target
create function stamp() returns trigger language plpgsql as $$ begin return new; end $$;
create table log (id int, region text, at date, primary key (id, at, region))
    partition by range (at);
create table log_a partition of log for values from ('2024-01-01') to ('2025-01-01')
    partition by list (region);
create table log_a_eu partition of log_a for values in ('eu');
create trigger log_stamp before insert on log for each row execute function stamp();
