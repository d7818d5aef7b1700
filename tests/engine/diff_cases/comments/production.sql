create schema billing;
create table public.plan (id int primary key, name text, constraint plan_name_check check (name <> ''));
create index plan_name_idx on public.plan (name);
create view public.plan_view as select id from public.plan;
create function public.plan_count() returns bigint language sql as 'select count(*) from public.plan';
create type public.tier as enum ('free', 'pro');
comment on table public.plan is 'old';
comment on column public.plan.name is 'dropped later';
