-- The client sessions in this database now, each with the service it belongs to: the part of
-- its application_name before '@' (`<service>@<build>`), and the services whose group role its
-- login is a member of (superusers left out: they are members of every role). Parameters:
-- the services' names and their group roles (policies/services.yaml `roles:`), in order.
with service_roles as (
    select s.service, r.oid as role_oid
    from unnest(%(services)s::text[], %(roles)s::text[]) as s (service, role)
    join pg_roles r on r.rolname = s.role
)
select a.pid,
       a.usename::text as login,
       a.application_name,
       a.backend_start,
       a.query,
       a.query_start,
       (select coalesce(array_agg(sr.service order by sr.service), '{}')
          from service_roles sr
         where not u.rolsuper and pg_has_role(a.usesysid, sr.role_oid, 'MEMBER')) as role_services
from pg_stat_activity a
left join pg_roles u on u.oid = a.usesysid
where a.datname = current_database()
  and a.backend_type = 'client backend'
  and a.pid <> pg_backend_pid()
  and a.application_name not like 'nivomigrate%%'
order by a.backend_start;
