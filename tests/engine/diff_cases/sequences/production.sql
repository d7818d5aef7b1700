create sequence public.order_number start 1000 increment 1 cache 1;
create sequence public.legacy_seq;
create table public.orders (id int primary key, number int);
