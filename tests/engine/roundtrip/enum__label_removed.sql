-- A label removed: the type is re-created and the column re-typed.
-- source
create type status as enum ('new', 'done', 'gone');
create table task (id int, status status default 'new');
-- target
create type status as enum ('new', 'done');
create table task (id int, status status default 'new');
