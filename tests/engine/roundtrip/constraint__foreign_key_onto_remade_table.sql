-- A foreign key onto a table the script drops and re-creates (a view becoming a table, a
-- table becoming partitioned): dropped before, added again after.
-- source
create table "Re made" (id int not null, at date not null, primary key (id, at));
create table kid (id int, r_id int, r_at date,
                  constraint "kid's fk" foreign key (r_id, r_at) references "Re made");
-- target
create table "Re made" (id int not null, at date not null, primary key (id, at))
    partition by range (at);
create table "Re made 2020" partition of "Re made"
    for values from ('2020-01-01') to ('2021-01-01');
create table kid (id int, r_id int, r_at date,
                  constraint "kid's fk" foreign key (r_id, r_at) references "Re made");
