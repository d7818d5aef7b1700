-- The platform's part of this database (Supabase's schemas, roles and extensions): what
-- nivomigrate never reports, compares, scripts or drops. nivomigrate/platform.py says why.
-- Parameters: %(platform_roles)s text[] (role names), %(platform_schemas)s text[] (schema
-- names the platform makes while its scripts run as the app's role).
-- Returns one row: the platform's schemas, and its relations and routines outside them.
with platform_role as (
    select oid from pg_roles where rolname = any(%(platform_roles)s::text[])
),
extension_member as (
    select classid, objid from pg_depend where deptype = 'e'
),
platform_namespace as (
    select n.oid, n.nspname
    from pg_namespace n
    where n.nspname not like 'pg\_%%' and n.nspname <> 'information_schema'
      and (n.nspowner in (select oid from platform_role)
           or n.nspname = any(%(platform_schemas)s::text[])
           or (n.oid in (select objid from extension_member
                         where classid = 'pg_namespace'::regclass)))
),
app_namespace as (
    select n.oid, n.nspname
    from pg_namespace n
    where n.nspname not like 'pg\_%%' and n.nspname <> 'information_schema'
      and n.oid not in (select oid from platform_namespace)
)
select
    array(select nspname::text from platform_namespace order by 1) as schemas,
    array(select n.nspname || '.' || c.relname
          from pg_class c join app_namespace n on n.oid = c.relnamespace
          where c.relkind in ('r', 'p', 'f', 'v', 'm', 'S', 'c')
            and (c.relowner in (select oid from platform_role)
                 or c.oid in (select objid from extension_member
                              where classid = 'pg_class'::regclass))
          order by 1) as relations,
    array(select n.nspname || '.' || p.proname
                 || '(' || pg_get_function_identity_arguments(p.oid) || ')'
          from pg_proc p join app_namespace n on n.oid = p.pronamespace
          where p.proowner in (select oid from platform_role)
             or p.oid in (select objid from extension_member
                          where classid = 'pg_proc'::regclass)
          order by 1) as routines,
    array(select rolname::text from pg_roles
          where oid in (select oid from platform_role) order by 1) as roles
