-- Views over views, one changed, one over a re-typed column, a materialized view with index.
-- source
create table t (id int, amount int);
create view v1 as select id, amount from t;
create view v2 as select id from v1 where amount > 0;
create materialized view mv as select id, amount from t;
-- target
create table t (id int, amount bigint, note text);
create view v1 as select id, amount, note from t;
create view v2 as select id from v1 where amount > 10;
create materialized view mv as select id, amount from t where id > 0;
create unique index mv_id on mv (id);
create view "V; drop" with (security_invoker = true) as select 'O''Brien'::text as name;
