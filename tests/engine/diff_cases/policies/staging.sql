create table public.secret (id int primary key, owner name not null default current_user, body text);
alter table public.secret enable row level security;
alter table public.secret force row level security;
create policy secret_owner on public.secret for select to pg_monitor using (owner = current_user and body is not null);
create policy secret_insert on public.secret as restrictive for insert with check (owner = current_user);
create table public.open_data (id int primary key);
alter table public.open_data enable row level security;
