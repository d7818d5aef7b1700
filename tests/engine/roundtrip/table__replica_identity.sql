-- REPLICA IDENTITY FULL and USING INDEX.
-- source
create table t (id int not null, a int);
create unique index t_id on t (id);
create table u (id int);
-- target
create table t (id int not null, a int);
create unique index t_id on t (id);
alter table t replica identity using index t_id;
create table u (id int);
alter table u replica identity full;
