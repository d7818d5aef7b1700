-- A CHECK and a foreign key NOT VALID in the target stay NOT VALID.
-- source
create table parent (id int primary key);
create table child (id int, parent_id int);
-- target
create table parent (id int primary key);
create table child (id int, parent_id int);
alter table child add constraint positive check (id > 0) not valid;
alter table child add constraint child_parent foreign key (parent_id) references parent
    not valid;
