-- SQL-standard bodies depend on each other: created in dependency order, not by name.
-- source
create table t (id int);
-- target
create table t (id int);
create function z_base(x int) returns int language sql immutable return x * 2;
create function a_top(x int) returns int language sql immutable return z_base(x) + 1;
create function m_mid() returns int language sql begin atomic select a_top(1); end;
