create table public.account (id int primary key, email text not null, status text, created_at timestamptz);
create index account_status_idx on public.account (status) where status <> 'closed';
create unique index account_email_lower_idx on public.account (lower(email));
create index account_created_idx on public.account using brin (created_at);
