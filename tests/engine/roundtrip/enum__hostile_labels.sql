-- An enum label that would end the statement and drop a table if printed unescaped.
-- source
create table foo (id int);
-- target
create table foo (id int);
create type mood as enum ('happy', 'x''); DROP TABLE foo; --', 'O''Brien', 'back\slash');
create table person (name text, current_mood mood);
