create table public.note (id int primary key, body text);
create view public.note_view as select id from public.note;
create function public.add(a int, b int) returns int language sql immutable as 'select a + b';
create function public.old_helper() returns int language sql as 'select 1';
create function public.body_length(n public.note) returns int language sql stable as 'select length(n.body)';
