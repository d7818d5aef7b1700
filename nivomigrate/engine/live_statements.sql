-- The normalized statements pg_stat_statements holds for this database that name one of the
-- tables a contract changes (a first sieve; the columns are matched on the statement's tokens),
-- run by another role than the one reading (the migration role's own statements are not a
-- service's), with the services whose group role that role is a member of (none for a
-- superuser: it is a member of every role). {statements} is the extension's view, qualified by the schema it lives in.
with service_roles as (
    select s.service, r.oid as role_oid
    from unnest(%(services)s::text[], %(roles)s::text[]) as s (service, role)
    join pg_roles r on r.rolname = s.role
)
select u.rolname::text as role,
       s.queryid,
       s.query,
       s.calls,
       (select coalesce(array_agg(sr.service order by sr.service), '{{}}')
          from service_roles sr
         where not u.rolsuper and pg_has_role(s.userid, sr.role_oid, 'MEMBER')) as role_services
from {statements} s
join pg_roles u on u.oid = s.userid and u.rolname <> current_user
where s.dbid = (select oid from pg_database where datname = current_database())
  and s.toplevel
  and s.query ilike any(%(tables)s::text[])
order by s.calls desc
limit 2000;
