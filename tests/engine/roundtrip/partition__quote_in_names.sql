-- A partitioned table and a partition whose names hold a double quote (schemainspect wrote
-- the parent's name unescaped: a crash before), made, with an index, and dropped.
-- source
create table "Ev""ents" (id int, at date) partition by range (at);
create table "Ev""ents 2025" partition of "Ev""ents"
    for values from ('2025-01-01') to ('2026-01-01');
-- target
create table "Ev""ents" (id int, at date) partition by range (at);
create table "Ev""ents 2026" partition of "Ev""ents"
    for values from ('2026-01-01') to ('2027-01-01');
create table "Sub""part" (id int, at date) partition by range (at);
create table "Sub""part a" partition of "Sub""part"
    for values from ('2026-01-01') to ('2027-01-01');
create index "by ""id""" on "Ev""ents" (id);
