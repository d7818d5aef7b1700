-- A policy's expression and roles change; another is dropped.
-- source
create table doc (id int, owner text);
alter table doc enable row level security;
create policy p on doc for select to public using (owner = current_user);
create policy gone on doc for delete using (false);
-- target
create table doc (id int, owner text);
alter table doc enable row level security;
create policy p on doc for select to nivo_rt_reader using (owner = session_user);
