-- A trigger's function is replaced by another; the old one dropped; an overloaded function.
-- source
create table t (id int, at timestamptz);
create function old_touch() returns trigger language plpgsql as $$ begin return new; end $$;
create trigger t_touch before update on t for each row execute function old_touch();
create function f(a int) returns int language sql as $$ select a $$;
-- target
create table t (id int, at timestamptz);
create function "new touch"() returns trigger language plpgsql
    as $$ begin new.at := now(); return new; end $$;
create trigger t_touch before update on t for each row execute function "new touch"();
create function f(a int) returns int language sql as $$ select a $$;
create function f(a text) returns text language sql as $$ select a || 'it''s' $$;
