create table public.profile (id int primary key, secret text);
create view public.profile_public with (security_barrier) as select id from public.profile;
create view public.profile_ids as select id from public.profile;
