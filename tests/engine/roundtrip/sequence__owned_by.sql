-- A sequence owned by a column whose table is dropped; one that becomes owned.
-- source
create table t (id int);
create sequence t_seq owned by t.id;
create table u (id int);
create sequence u_seq;
-- target
create sequence u_seq;
create table u (id int default nextval('u_seq'));
alter sequence u_seq owned by u.id;
