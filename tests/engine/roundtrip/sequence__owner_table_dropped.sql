-- The table owning a sequence is dropped while the sequence stays (owned by none): the
-- ownership is released before the table goes, or the drop takes the sequence along.
-- source
create table t (id int);
create sequence s owned by t.id;
-- target
create sequence s;
