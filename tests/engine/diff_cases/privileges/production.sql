create schema reporting;
create table public.ledger (id int primary key, amount numeric);
create view public.ledger_view as select id from public.ledger;
create sequence public.ticket_seq;
create function public.ping() returns int language sql as 'select 1';
grant select on public.ledger to pg_monitor;
grant select, insert on public.ledger to pg_read_all_data with grant option;
grant select (id) on public.ledger to pg_read_all_stats;
