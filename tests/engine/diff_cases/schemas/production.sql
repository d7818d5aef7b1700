create schema old_stuff;
create table old_stuff.thing (id int);
