create table public.customer (id int primary key, name text);
create table public.purchase (id int primary key, customer_id int references public.customer (id), amount numeric, discount numeric not null default 0);
create table public.region (id int primary key, label text);
create view public.customer_totals as
    select c.id, c.name, sum(p.amount - p.discount) as total from public.customer c join public.purchase p on p.customer_id = c.id group by c.id, c.name;
create view public.big_customers as select id, name from public.customer_totals where total > 100;
create materialized view public.region_labels as select id, upper(label) as label from public.region;
create unique index region_labels_id_idx on public.region_labels (id);
create view public.purchase_view as select id, amount from public.purchase;
