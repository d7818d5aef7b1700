-- An enum gains a label and a label is removed while views read a column of that type; a new
-- table uses it.
-- source
create type "e'1" as enum ('a', 'b', 'c');
create table t (id int primary key, category "e'1");
create view v as select * from t;
create view v2 as select *, 'b'::"e'1" as fixed from t;
-- target
create type "e'1" as enum ('a', 'b', 'c', 'd');
create table t (id int primary key, category "e'1");
create view v as select * from t;
create view v2 as select *, 'b'::"e'1" as fixed from t;
create table created_with_e (id int, category "e'1");
