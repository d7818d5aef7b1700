create table public.animal (id int primary key, name text not null, born date);
create table public.dog (good boolean) inherits (public.animal);
create table public.bird (wings int not null default 2) inherits (public.animal);
create table public.cat () inherits (public.animal);
create table public.pet_toy (id int primary key);
create table public.ball (color text) inherits (public.pet_toy);
