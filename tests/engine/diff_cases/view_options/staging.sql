create table public.profile (id int primary key, secret text, bio text);
create view public.profile_public with (security_invoker = true) as select id from public.profile;
create view public.profile_ids with (security_barrier = true, security_invoker = true) as select id from public.profile where id > 0;
