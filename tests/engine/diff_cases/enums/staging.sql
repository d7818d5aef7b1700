create type public.mood as enum ('sad', 'happy');
create type public.size as enum ('s', 'm', 'l');
create table public.person (id int primary key, mood public.mood, size public.size);
