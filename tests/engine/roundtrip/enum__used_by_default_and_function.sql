-- An enum re-made (a label removed) that a column default and a function's argument use.
-- source
create type "Lvl" as enum ('low', 'mid', 'high');
create table job (id int, lvl "Lvl" not null default 'low');
-- target
create type "Lvl" as enum ('low', 'high');
create table job (id int, lvl "Lvl" not null default 'high');
create function job_count(l "Lvl") returns bigint language sql stable
    as $$ select count(*) from job where lvl = l $$;
