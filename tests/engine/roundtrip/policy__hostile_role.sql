-- A policy for roles whose names hold a double quote and a single quote.
-- source
create table doc (id int, owner text);
alter table doc enable row level security;
-- target
create table doc (id int, owner text);
alter table doc enable row level security;
create policy "owner's rows" on doc for select to "nivo_rt_evil""role", "nivo_rt_O'Brien"
    using (owner = current_user);
create policy p_all on doc as restrictive for all to nivo_rt_reader using (true)
    with check (owner <> 'x''y');
