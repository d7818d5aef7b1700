create table public.item (price numeric not null, qty int not null, total numeric generated always as (price * qty * 1.2) stored, label text generated always as ('n' || qty::text) stored);
