create domain public.positive as int check (value > 0);
create domain public.email as text;
create table public.contact (id int primary key, mail public.email, age public.positive);
