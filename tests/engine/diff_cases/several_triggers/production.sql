create table public.doc (id int primary key, body text, updated_at timestamptz, version int not null default 0);
create function public.doc_touch() returns trigger language plpgsql as $$ begin new.updated_at := now(); return new; end $$;
create function public.doc_bump() returns trigger language plpgsql as $$ begin new.version := old.version + 1; return new; end $$;
create trigger a_touch before update on public.doc for each row execute function public.doc_touch();
