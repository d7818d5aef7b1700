create table public.item (price numeric not null, qty int not null, total numeric generated always as (price * qty) stored);
