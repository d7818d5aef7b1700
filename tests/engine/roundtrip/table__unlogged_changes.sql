-- Tables become unlogged and logged again; a new unlogged table; hostile names.
-- source
create table "Lo""g; x" (id int);
create unlogged table "Cache's" (k text, v text);
-- target
create unlogged table "Lo""g; x" (id int);
create table "Cache's" (k text, v text);
create unlogged table "New ""U""" (id int primary key, n text not null default 'x');
