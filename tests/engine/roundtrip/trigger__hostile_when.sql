-- A trigger with a hostile name on a hostile table, its WHEN comparing with a quoted string.
-- source
create function f() returns trigger language plpgsql as $$ begin return new; end $$;
create table "Ta""ble" ("c'ol" text);
-- target
create function f() returns trigger language plpgsql as $$ begin return new; end $$;
create table "Ta""ble" ("c'ol" text);
create trigger "tr; drop" before update on "Ta""ble" for each row
    when (new."c'ol" is distinct from 'O''Brien') execute function f();
