-- An index becomes a constraint of the same name and back (on a partitioned table too): the
-- index dropped before the constraint makes its own.
-- source
create table a (id int, code text);
create unique index a_code_key on a (code);
alter table a add constraint a_id_key unique (id);
create table p (id int, at date) partition by range (at);
create table p1 partition of p for values from ('2020-01-01') to ('2021-01-01');
create unique index p_u on p (id, at);
-- target
create table a (id int, code text);
alter table a add constraint a_code_key unique (code);
create unique index a_id_key on a (id);
create table p (id int, at date) partition by range (at);
create table p1 partition of p for values from ('2020-01-01') to ('2021-01-01');
alter table p add constraint p_u unique (id, at);
