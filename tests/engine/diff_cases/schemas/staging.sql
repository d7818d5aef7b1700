create schema analytics;
create table analytics.daily (day date primary key, hits bigint not null default 0);
create unlogged table public.cache_entry (key text primary key, value jsonb);
