-- A column's collation changes; a new column has one.
-- source
create table t (a text, b text collate "C");
-- target
create table t (a text collate "C", b text, c text collate "POSIX");
