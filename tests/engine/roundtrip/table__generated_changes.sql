-- A generated column becomes a plain one (DROP EXPRESSION, its data kept) and a plain one
-- becomes generated (dropped and added), each the last column of its table; hostile names.
-- source
create table "G'en" ("a""b" int, "x; y" int generated always as ("a""b" + 1) stored);
create table "Ge""n2" ("a""b" int, "Z" int default 3);
-- target
create table "G'en" ("a""b" int, "x; y" int);
create table "Ge""n2" ("a""b" int, "Z" int generated always as ("a""b" * 2) stored);
