-- What the Data API roles (anon, authenticated) may do on the app's tables and views through
-- the Data API (SELECT, INSERT, UPDATE, DELETE), over nivomigrate/catalog/managed.sql.
-- has_table_privilege counts PUBLIC and memberships, as PostgreSQL does when it checks.
-- %(roles)s: the API roles; %(schema)s: the exposed schema.
select c.relname::text as name, r.rolname::text as role,
       array_remove(array[
         case when has_any_column_privilege(r.oid, c.oid, 'SELECT') then 'SELECT' end,
         case when has_any_column_privilege(r.oid, c.oid, 'INSERT') then 'INSERT' end,
         case when has_any_column_privilege(r.oid, c.oid, 'UPDATE') then 'UPDATE' end,
         case when has_table_privilege(r.oid, c.oid, 'DELETE') then 'DELETE' end
       ], null) as privileges
from managed_class c
cross join pg_roles r
where c.nspname = %(schema)s and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and r.rolname = any(%(roles)s)
order by c.relname, r.rolname
