create table public.measurement (id bigint not null, at date not null, value numeric) partition by range (at);
create table public.measurement_2024 partition of public.measurement for values from ('2024-01-01') to ('2025-01-01');
create table public.measurement_2025 partition of public.measurement for values from ('2025-01-01') to ('2026-01-01');
create table public.measurement_default partition of public.measurement default;
create index measurement_at_idx on public.measurement (at);
create table public.event (id int not null, kind text not null) partition by list (kind);
create table public.event_a partition of public.event for values in ('a');
create table public.event_b partition of public.event for values in ('b', 'c');
