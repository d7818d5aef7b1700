-- Constraints with hostile names; a foreign key to a key made in the same script, and a key
-- dropped with the foreign key that used it; a unique index a foreign key uses, dropped.
-- source
create table "Pa""rent" (id int not null, code text not null);
alter table "Pa""rent" add constraint "pk; drop table x" primary key (id);
alter table "Pa""rent" add constraint "Code ""u""" unique (code);
create table kid (id int, code text, p int);
create unique index kid_id on kid (id);
create table grandkid (kid_id int references kid (id));
alter table kid add constraint "kid's code" foreign key (code) references "Pa""rent" (code)
    deferrable;
-- target
create table "Pa""rent" (id int not null, code text not null,
                         constraint "O'Brien's check" check (code <> 'x'));
alter table "Pa""rent" add constraint "pk; drop table x" primary key (id, code);
create table kid (id int, code text, p int);
alter table kid add constraint "kid p" foreign key (p, code)
    references "Pa""rent" (id, code) on delete set null (p);
create table grandkid (kid_id int);
