create table public.animal (id int primary key, name text not null);
create table public.dog (good boolean) inherits (public.animal);
create table public.cat () inherits (public.animal);
create table public.pet_toy (id int primary key);
