create table public.item (price numeric not null, qty int not null, label text generated always as ('n' || qty::text) stored, total numeric generated always as (price * qty * 1.2) stored);
