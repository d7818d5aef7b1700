create table public.owner (id int primary key, handle text unique);
create table public.booking (id int primary key, owner_id int references public.owner (id) deferrable initially deferred, during tsrange, seats int);
alter table public.booking add constraint booking_seats_check check (seats > 0 and seats < 100);
alter table public.booking add constraint booking_no_overlap exclude using gist (during with &&);
