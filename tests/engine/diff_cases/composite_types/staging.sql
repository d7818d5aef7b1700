create type public.money_amount as (amount numeric, currency char(3));
create type public.address as (street text, city text);
create table public.shop (id int primary key, addr public.address);
