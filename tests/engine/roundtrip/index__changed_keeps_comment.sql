-- A changed index and a changed constraint keep their comments (re-made, commented again); a
-- check that a partition had on its own moves to the partitioned parent.
-- source
create table a (id int, n int, constraint "a n" check (n > 0));
create index "a i" on a (n);
comment on constraint "a n" on a is 'check''s';
comment on index "a i" is 'idx; --';
create table p (id int, at date) partition by range (at);
create table p1 partition of p for values from ('2020-01-01') to ('2021-01-01');
alter table p1 add constraint p_id check (id > 0);
-- target
create table a (id int, n int, constraint "a n" check (n > 1));
create index "a i" on a (n, id);
comment on constraint "a n" on a is 'check''s';
comment on index "a i" is 'idx; --';
create table p (id int, at date) partition by range (at);
create table p1 partition of p for values from ('2020-01-01') to ('2021-01-01');
alter table p add constraint p_id check (id > 0);
