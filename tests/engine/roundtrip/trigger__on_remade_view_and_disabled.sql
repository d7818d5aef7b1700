-- An INSTEAD OF trigger on a view the diff drops and re-creates (a column leaves it), a
-- trigger disabled and one firing on replicas only, and a table dropped with its trigger and
-- that trigger's function.
-- source
create function "Ins; --"() returns trigger language plpgsql as $$ begin return new; end $$;
create function gone_fn() returns trigger language plpgsql as $$ begin return new; end $$;
create table "Item" (id int, "na'me" text, price int);
create view "Item view" as select id, "na'me", price from "Item";
create trigger "instead'of" instead of insert on "Item view" for each row
    execute function "Ins; --"();
create trigger quiet before insert on "Item" for each row execute function "Ins; --"();
create table gone (id int);
create trigger gone_trg before insert on gone for each row execute function gone_fn();
-- target
create function "Ins; --"() returns trigger language plpgsql as $$ begin return new; end $$;
create table "Item" (id int, "na'me" text, price int);
create view "Item view" as select id, "na'me" from "Item";
create trigger "instead'of" instead of insert on "Item view" for each row
    execute function "Ins; --"();
create trigger quiet before insert on "Item" for each row execute function "Ins; --"();
alter table "Item" disable trigger quiet;
create trigger "Rep" after update on "Item" for each row execute function "Ins; --"();
alter table "Item" enable replica trigger "Rep";
