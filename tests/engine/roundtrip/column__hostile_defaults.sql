-- Defaults and checks whose string literals hold quotes, semicolons and comment marks.
-- source
create table t (id int);
-- target
create table t (id int, note text default 'x''); drop table t; --',
                tag text default E'line\nbreak' check (tag <> '*/ --'),
                "Mixed ""Case""" varchar(5) default 'O''B');
