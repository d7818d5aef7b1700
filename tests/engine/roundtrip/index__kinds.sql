-- Indexes: partial, expression, INCLUDE, descending, hash, changed definition, dropped.
-- source
create table t (id int, email text, at timestamptz, n int);
create index t_email on t (email);
create index t_gone on t (n);
-- target
create table t (id int, email text, at timestamptz, n int);
create index t_email on t (lower(email));
create unique index "T id; --" on t (id) include (n) where id > 0;
create index t_at on t (at desc nulls last);
create index t_n_hash on t using hash (n);
