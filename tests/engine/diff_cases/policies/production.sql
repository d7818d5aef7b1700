create table public.secret (id int primary key, owner name not null default current_user, body text);
alter table public.secret enable row level security;
create policy secret_owner on public.secret for select using (owner = current_user);
create table public.open_data (id int primary key);
