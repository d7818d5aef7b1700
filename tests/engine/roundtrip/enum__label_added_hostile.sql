-- Labels added before, between and after existing ones, quotes in them.
-- source
create table foo (id int);
create type "Mood" as enum ('ok', 'fine');
-- target
create table foo (id int);
create type "Mood" as enum ('x''); DROP TABLE foo; --', 'ok', 'O''Brien', 'fine', 'last''');
