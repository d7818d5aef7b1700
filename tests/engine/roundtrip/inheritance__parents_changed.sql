-- Inheritance: a table joins a parent (INHERIT), another leaves one (NO INHERIT), a new child
-- of two parents; a parent's column re-typed and given a default reaches its children (one
-- declares the column too and keeps its own NOT NULL); hostile names.
-- source
create table "Pa""rent" (id int, "n;ame" text);
create table "Other's" (tag text);
create table "kid" ("x" int) inherits ("Pa""rent");
create table "twin" (id int not null, w int) inherits ("Pa""rent");
create table "Or""phan" (id int, "n;ame" text, y int);
create table "Lea""ver" (id int, "n;ame" text, v int) inherits ("Pa""rent");
-- target
create table "Pa""rent" (id bigint default 1, "n;ame" text);
create table "Other's" (tag text);
create table "kid" ("x" int) inherits ("Pa""rent");
create table "twin" (id bigint not null, w int) inherits ("Pa""rent");
create table "Or""phan" (id bigint default 1, "n;ame" text, y int);
alter table "Or""phan" inherit "Pa""rent";
create table "Lea""ver" (id int, "n;ame" text, v int);
create table "Two ""Parents""" (z int) inherits ("Pa""rent", "Other's");
