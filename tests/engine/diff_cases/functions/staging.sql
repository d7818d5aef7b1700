create table public.note (id int primary key, body text);
create view public.note_view as select id from public.note;
create function public.add(a int, b int) returns int language sql immutable parallel safe as 'select a + b + 0';
create function public.body_length(n public.note) returns int language sql stable as 'select coalesce(length(n.body), 0)';
create function public.safe_lookup(p int) returns text language plpgsql security definer
    set search_path = pg_catalog, public as $$ begin return (select body from public.note where id = p); end $$;
create procedure public.purge() language sql as $$ delete from public.note $$;
