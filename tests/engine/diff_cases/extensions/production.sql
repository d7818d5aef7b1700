create table public.word (id int primary key, w text);
