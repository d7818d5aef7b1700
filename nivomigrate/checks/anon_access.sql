-- The app's tables and views the Data API roles (anon, authenticated) may use through the
-- Data API (SELECT, INSERT, UPDATE, DELETE), with RLS.
-- has_table_privilege counts PUBLIC and memberships, as PostgreSQL does when it checks.
-- %(roles)s: the API roles; %(schema)s: the exposed schema; %(version_table)s left out.
select c.relname as name, r.rolname as role, c.relkind::text as kind,
       array_remove(array[
         case when has_any_column_privilege(r.oid, c.oid, 'SELECT') then 'SELECT' end,
         case when has_any_column_privilege(r.oid, c.oid, 'INSERT') then 'INSERT' end,
         case when has_any_column_privilege(r.oid, c.oid, 'UPDATE') then 'UPDATE' end,
         case when has_table_privilege(r.oid, c.oid, 'DELETE') then 'DELETE' end
       ], null) as privileges,
       -- a security_invoker view applies its tables' RLS to the caller (PostgreSQL 15+)
       c.relrowsecurity or coalesce((select lower(option_value) in ('true', 'on', 'yes', '1')
                                     from pg_options_to_table(c.reloptions)
                                     where option_name = 'security_invoker'), false) as has_rls,
       (select count(*) from pg_policy p where p.polrelid = c.oid) as policies
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join pg_roles r
where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'v', 'm', 'f')
  and c.relname <> %(version_table)s
  and r.rolname = any(%(roles)s)
order by c.relname, r.rolname
