-- The managed objects: the one definition of what is the app's (nivomigrate/catalog/__init__.py
-- says why), as common table expressions every catalog query of nivomigrate starts from
-- (`catalog.query` puts `with` before this and the kind's query after it).
-- Left out: schemas named pg_*, information_schema, the excluded schemas (nivomigrate's
-- ledger and the platform's, nivomigrate/catalog/platform.py), extension members, the excluded
-- tables ('schema.table': migration ledgers and the platform's relations) and routines
-- ('schema.name(args)': the platform's).
-- Parameters: %(excluded_schemas)s text[], %(excluded_tables)s text[],
-- %(excluded_routines)s text[], %(platform_schemas)s text[], and the default-ACL mapping
-- %(acl_objtypes)s, %(acl_kinds)s, %(acl_nouns)s text[] (nivomigrate/catalog/acl.py).
-- Run with search_path = pg_catalog.
managed_namespace as (
    select n.oid, n.nspname, n.nspowner, n.nspacl
    from pg_namespace n
    where n.nspname <> all (%(excluded_schemas)s::text[])
      and n.nspname not like 'pg\_%%'
      and n.nspname <> 'information_schema'
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_namespace'::regclass and d.objid = n.oid
                        and d.deptype = 'e')
),
managed_class as (
    select c.oid, c.relname, c.relkind, n.nspname, c.relnamespace, c.relowner, c.relacl,
           c.reloptions, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
           c.relispartition, c.relreplident, c.relpartbound
    from pg_class c
    join managed_namespace n on n.oid = c.relnamespace
    where n.nspname || '.' || c.relname <> all (%(excluded_tables)s::text[])
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid
                        and d.deptype = 'e')
),
managed_table as (
    select * from managed_class where relkind in ('r', 'p', 'f')
),
managed_proc as (
    select p.oid, p.proname, p.prokind, n.nspname, p.pronamespace, p.proowner, p.proacl,
           n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid)
               || ')' as signature
    from pg_proc p
    join managed_namespace n on n.oid = p.pronamespace
    where not exists (select 1 from pg_depend d
                      where d.classid = 'pg_proc'::regclass and d.objid = p.oid
                        and d.deptype = 'e')
      and n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid)
          || ')' <> all (%(excluded_routines)s::text[])
),
managed_type as (
    select t.oid, t.typname, t.typtype, n.nspname, t.typowner, t.typacl
    from pg_type t
    join managed_namespace n on n.oid = t.typnamespace
    where t.typtype in ('e', 'd')
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_type'::regclass and d.objid = t.oid
                        and d.deptype = 'e')
),
-- The platform's tables, for the app's triggers and policies on them (auth.users).
platform_table as (
    select c.oid, c.relname, n.nspname
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(%(platform_schemas)s::text[]) and c.relkind in ('r', 'p')
),
-- pg_default_acl.defaclobjtype -> acldefault()'s kind and ALTER DEFAULT PRIVILEGES' noun
default_acl_kind (objtype, acl_kind, noun) as (
    select o::"char", k::"char", n
    from unnest(%(acl_objtypes)s::text[], %(acl_kinds)s::text[], %(acl_nouns)s::text[]) m (o, k, n)
)
