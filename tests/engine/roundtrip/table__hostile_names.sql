-- Schemas, tables, columns and constraints named with quotes, spaces, capitals, keywords.
-- source
create schema "My ""Schema""";
-- target
create schema "My ""Schema""";
create table "My ""Schema"""."Order; drop table x" (
    "select" int primary key,
    "O'Brien" text default 'it''s' check ("O'Brien" <> ''),
    "a""b" numeric(10, 2)
);
comment on table "My ""Schema"""."Order; drop table x" is 'O''Brien''s table; --';
comment on column "My ""Schema"""."Order; drop table x"."a""b" is 'x''); drop table y; --';
