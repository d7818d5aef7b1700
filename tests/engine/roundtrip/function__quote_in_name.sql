-- Functions whose names hold a double quote, a dot and a parenthesis.
-- source
create function "say""hi"(who text) returns text language sql as $$ select 'hi ' || who $$;
create function "a.b(c"() returns int language sql as $$ select 1 $$;
-- target
create function "say""hi"(who text, loud boolean) returns text language sql
    as $$ select 'hi ' || who $$;
