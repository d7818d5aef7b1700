create extension pg_trgm schema public;
create extension citext schema public;
create table public.word (id int primary key, w text, tag public.citext);
create index word_w_trgm_idx on public.word using gin (w public.gin_trgm_ops);
