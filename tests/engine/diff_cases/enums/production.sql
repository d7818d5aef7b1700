create type public.mood as enum ('sad', 'ok', 'happy');
create type public.color as enum ('red', 'green');
create table public.person (id int primary key, mood public.mood);
