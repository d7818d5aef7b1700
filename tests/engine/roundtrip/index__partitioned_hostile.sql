-- A partitioned index with hostile names: created ON ONLY the parent, each partition's index
-- created and attached (a sub-partitioned one too); another one dropped with its partitions';
-- a new partition under a kept one gets its index from PostgreSQL.
-- source
create schema "S.x";
create table "S.x"."Ev;ents" (id int, kind text, at date) partition by list (kind);
create table "S.x"."ev; a" partition of "S.x"."Ev;ents" for values in ('a');
create table "S.x"."ev b" partition of "S.x"."Ev;ents" for values in ('b')
    partition by range (at);
create table "S.x".ev_b1 partition of "S.x"."ev b"
    for values from ('2020-01-01') to ('2021-01-01');
create index keep on "S.x"."Ev;ents" (id, kind);
create index "old; --" on "S.x"."Ev;ents" (at);
-- target
create schema "S.x";
create table "S.x"."Ev;ents" (id int, kind text, at date) partition by list (kind);
create table "S.x"."ev; a" partition of "S.x"."Ev;ents" for values in ('a');
create table "S.x"."ev b" partition of "S.x"."Ev;ents" for values in ('b')
    partition by range (at);
create table "S.x".ev_b1 partition of "S.x"."ev b"
    for values from ('2020-01-01') to ('2021-01-01');
create index keep on "S.x"."Ev;ents" (id, kind);
create table "S.x"."ev; c" partition of "S.x"."Ev;ents" for values in ('c');
create index "Id""x" on "S.x"."Ev;ents" (id) where id > 0;
create index "kind's" on only "S.x"."Ev;ents" (kind);
create index "kind a" on "S.x"."ev; a" (kind);
alter index "S.x"."kind's" attach partition "S.x"."kind a";
