-- Row level security forced, policies per command with hostile names and expressions.
-- source
create table acct (id int, owner name, note text);
-- target
create table acct (id int, owner name, note text);
alter table acct enable row level security;
alter table acct force row level security;
create policy "sel; --" on acct for select using (owner = current_user and note <> 'x''y');
create policy ins on acct for insert to "nivo_rt_O'Brien" with check (owner = current_user);
create policy upd on acct as restrictive for update using (true) with check (id > 0);
