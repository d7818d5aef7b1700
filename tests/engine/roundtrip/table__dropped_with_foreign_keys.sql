-- Tables dropped that reference each other (a name order the drops cannot rely on): their
-- foreign keys are dropped first.
-- source
create table z_child (id int, a_id int);
create table a_parent (id int primary key);
alter table z_child add constraint fk foreign key (a_id) references a_parent;
create table b_parent (id int primary key);
create table a_child (id int, b_id int references b_parent);
-- target
create table keep (id int);
