-- expect: not scripted
-- A collation's locale changes: it cannot be altered, and a column uses it.
-- source
create collation "Ger'man" (provider = icu, locale = 'de-DE');
create table t (name text collate "Ger'man");
-- target
create collation "Ger'man" (provider = icu, locale = 'de-AT');
create table t (name text collate "Ger'man");
