create table public.account (id int primary key, email text not null, status text, created_at timestamptz);
create index account_status_idx on public.account (status);
create index account_created_idx on public.account (created_at);
