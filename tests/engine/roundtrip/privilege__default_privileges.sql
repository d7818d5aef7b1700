-- Default privileges in a schema and for all schemas.
-- source
create schema app;
-- target
create schema app;
alter default privileges in schema app grant select on tables to "nivo_rt_evil""role";
alter default privileges grant usage on sequences to "nivo_rt_O'Brien";
alter default privileges revoke execute on functions from public;
