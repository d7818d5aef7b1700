-- A collation created (ICU and libc) and used by a column.
-- source
create table t (name text);
-- target
create collation "Ger'man" (provider = icu, locale = 'de-DE');
create collation plain_c (provider = libc, locale = 'C');
create table t (name text collate "Ger'man", code text collate plain_c);
