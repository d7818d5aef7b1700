-- Privileges: table, column, sequence, function, schema; to roles with hostile names.
-- source
create schema app;
create table app.t (id int, secret text);
create sequence app.s;
create function app.f() returns int language sql as $$ select 1 $$;
grant select on app.t to nivo_rt_reader;
-- target
create schema app;
create table app.t (id int, secret text);
create sequence app.s;
create function app.f() returns int language sql as $$ select 1 $$;
grant usage on schema app to "nivo_rt_evil""role";
grant select (id), update (id) on app.t to "nivo_rt_O'Brien";
grant insert, delete on app.t to "nivo_rt_evil""role" with grant option;
grant usage on sequence app.s to nivo_rt_reader;
revoke execute on function app.f() from public;
grant execute on function app.f() to "nivo_rt_evil""role";
