-- A CHECK added to a parent reaches its child; a child added with inheritance.
-- source
create table parent (id int);
create table child (extra text) inherits (parent);
-- target
create table parent (id int, constraint id_positive check (id > 0));
create table child (extra text) inherits (parent);
