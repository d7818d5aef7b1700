-- Columns added, dropped, re-typed, defaults and NOT NULL changed.
-- source
create table t (id int, a text, b int default 1, c varchar(10), d int not null);
-- target
create table t (id int, a text not null default 'x', b bigint, c varchar(20), e jsonb);
