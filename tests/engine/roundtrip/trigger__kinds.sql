-- Triggers: added, changed (WHEN, columns), dropped; a constraint trigger.
-- source
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
create table t (id int, a int);
create trigger t_gone before insert on t for each row execute function touch();
create trigger t_changed before update on t for each row execute function touch();
-- target
create function touch() returns trigger language plpgsql as $$ begin return new; end $$;
create table t (id int, a int);
create trigger t_changed before update of a on t for each row when (old.a is distinct from new.a)
    execute function touch();
create trigger "T new; --" after insert on t for each statement execute function touch();
create constraint trigger t_check after insert on t deferrable initially deferred
    for each row execute function touch();
