create domain public.positive as int not null default 1 check (value > 0) check (value < 200);
create domain public.email as text check (value like '%@%');
create domain public.slug as text check (value ~ '^[a-z-]+$');
create table public.contact (id int primary key, mail public.email, age public.positive, handle public.slug);
