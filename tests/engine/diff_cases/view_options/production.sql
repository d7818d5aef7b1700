create table public.profile (id int primary key, secret text);
create view public.profile_public with (security_barrier) as select id from public.profile;
create view public.profile_ids as select id from public.profile;
create table public.handle_source (id int primary key, handle varchar(20));
create view public.handles with (security_invoker = true) as select id, handle from public.handle_source;
grant select on public.handles to pg_monitor;
comment on view public.handles is 'kept across a re-creation';
create view public.handles_upper with (security_barrier) as select upper(handle) as h from public.handles;
