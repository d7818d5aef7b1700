create schema app;
alter default privileges in schema app grant select, insert on tables to pg_read_all_data;
alter default privileges revoke execute on functions from public;
alter default privileges grant usage on sequences to pg_monitor;
