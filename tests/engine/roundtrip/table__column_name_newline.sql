-- expect: not scripted
-- A column whose name holds a line break, in a table whose column order changes: the
-- not-scripted comment must stay one line (the rest of the name is not SQL).
-- source
create table t ("a
drop table victim; --" int, b int);
create table victim (id int);
-- target
create table t (b int, "a
drop table victim; --" int);
create table victim (id int);
