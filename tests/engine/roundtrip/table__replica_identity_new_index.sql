-- REPLICA IDENTITY USING an index the same script creates; one back to DEFAULT.
-- source
create table t (id int not null, a int);
create table u (id int not null);
create unique index u_id on u (id);
alter table u replica identity using index u_id;
-- target
create table t (id int not null, a int);
create unique index "t id's" on t (id);
alter table t replica identity using index "t id's";
create table u (id int not null);
create unique index u_id on u (id);
