-- A policy's command and kind change (ALTER POLICY cannot: dropped and created again), one
-- that calls a function leaves with that function, one names capitalised and hostile roles.
-- source
create function "can see"(o text) returns boolean language sql stable as $$ select o = 'x' $$;
create table "Doc; --" ("Owner" text, body text);
alter table "Doc; --" enable row level security;
create policy "Read" on "Doc; --" for select using ("Owner" = current_user);
create policy via_fn on "Doc; --" for select using ("can see"("Owner"));
-- target
create table "Doc; --" ("Owner" text, body text);
alter table "Doc; --" enable row level security;
create policy "Read" on "Doc; --" as restrictive for all to "nivo_rt_O'Brien", public
    using ("Owner" = current_user) with check (body <> 'it''s; --');
