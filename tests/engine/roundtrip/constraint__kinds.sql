-- Primary key, unique (NULLS NOT DISTINCT), exclusion, deferrable FK, check changed.
-- source
create table a (id int, code text, check (code <> ''));
create table b (id int, a_id int);
-- target
create table a (id int primary key, code text unique nulls not distinct,
                constraint a_code_check check (length(code) > 1));
create table b (id int, a_id int references a on delete cascade deferrable initially deferred,
                period int4range, exclude using gist (period with &&));
