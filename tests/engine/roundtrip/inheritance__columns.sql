-- Table inheritance: a column added to the parent, a child added.
-- source
create table parent (id int, a text);
create table child (b int) inherits (parent);
-- target
create table parent (id int, a text, c int);
create table child (b int) inherits (parent);
create table child2 () inherits (parent);
