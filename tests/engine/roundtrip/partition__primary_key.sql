-- A primary key, a unique constraint and an index on a partitioned table with partitions.
-- source
create table orders (id int not null, region text not null, n int) partition by list (region);
create table orders_eu partition of orders for values in ('eu');
create table orders_us partition of orders for values in ('us');
-- target
create table orders (id int not null, region text not null, n int,
                     primary key (id, region), unique (n, region)) partition by list (region);
create table orders_eu partition of orders for values in ('eu');
create table orders_us partition of orders for values in ('us');
create index orders_n on orders (n);
