-- Row level security and a policy on a partition and on its partitioned table.
-- source
create table event (id int, at date) partition by range (at);
create table event_2024 partition of event for values from ('2024-01-01') to ('2025-01-01');
-- target
create table event (id int, at date) partition by range (at);
create table event_2024 partition of event for values from ('2024-01-01') to ('2025-01-01');
alter table event enable row level security;
alter table event_2024 enable row level security;
create policy recent on event_2024 for select using (at > '2024-06-01');
create policy mine on event for all to nivo_rt_reader using (id > 0);
