create table public.owner (id int primary key, handle text);
create table public.booking (id int primary key, owner_id int, during tsrange, seats int);
alter table public.booking add constraint booking_seats_check check (seats > 0);
