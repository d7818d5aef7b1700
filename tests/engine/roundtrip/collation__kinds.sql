-- Collations in a schema with a hostile name: an ICU one that is not deterministic and a libc
-- one added, one dropped after the column that used it changes; the column re-collated.
-- source
create schema "Sch; ema";
create collation "Sch; ema"."Old'one" (provider = libc, locale = 'POSIX');
create table t (name text collate "Sch; ema"."Old'one");
-- target
create schema "Sch; ema";
create collation "Sch; ema"."Case ins" (provider = icu, locale = 'und-u-ks-level2',
    deterministic = false);
create collation "Sch; ema".plain (provider = libc, locale = 'C');
create table t (name text collate "Sch; ema"."Case ins", code text collate "Sch; ema".plain);
