create table public.doc (id int primary key, body text, updated_at timestamptz, version int not null default 0);
create function public.doc_touch() returns trigger language plpgsql as $$ begin new.updated_at := now(); return new; end $$;
create function public.doc_bump() returns trigger language plpgsql as $$ begin new.version := old.version + 1; return new; end $$;
create function public.doc_log() returns trigger language plpgsql as $$ begin raise notice 'doc %', new.id; return null; end $$;
create trigger a_touch before insert or update on public.doc for each row execute function public.doc_touch();
create trigger b_bump before update on public.doc for each row when (old.body is distinct from new.body) execute function public.doc_bump();
create trigger c_log after insert on public.doc for each row execute function public.doc_log();
alter table public.doc disable trigger c_log;
