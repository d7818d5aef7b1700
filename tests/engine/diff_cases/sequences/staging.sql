create sequence public.order_number start 1000 increment 10 cache 5 maxvalue 999999 cycle;
create table public.orders (id int primary key, number int);
create sequence public.orders_ref_seq as integer owned by public.orders.id;
