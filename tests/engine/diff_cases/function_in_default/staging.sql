create sequence public.invoice_number_seq;
create function public.next_invoice_code() returns text language sql as $$ select 'INV-' || nextval('public.invoice_number_seq')::text $$;
create table public.invoice (id int primary key, total numeric, code text not null default public.next_invoice_code());
