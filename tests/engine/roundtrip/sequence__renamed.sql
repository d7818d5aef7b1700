-- A serial column's sequence renamed (hostile names): a RENAME, which keeps its current value
-- (a drop and a create would restart it at 1); another sequence of the same column's options
-- that is dropped while a new one is created stays a drop and a create.
-- source
create table "Order's" (id serial primary key, note text);
create sequence plain_gone;
-- target
create table "Order's" (id int primary key, note text);
create sequence "Order's ""id"" seq" as integer owned by "Order's".id;
alter table "Order's" alter column id set default nextval('"Order''s ""id"" seq"');
create sequence plain_new;
