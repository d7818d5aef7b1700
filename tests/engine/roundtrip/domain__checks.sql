-- Domains with checks, defaults and hostile names.
-- source
create domain positive as int check (value > 0);
-- target
create domain positive as int default 1 not null constraint "is positive" check (value > 0);
create domain "Email" as text collate "C" check (value like '%@%' and value <> 'O''Brien');
create table person (email "Email", age positive);
