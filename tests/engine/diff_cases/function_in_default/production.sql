create table public.invoice (id int primary key, total numeric);
