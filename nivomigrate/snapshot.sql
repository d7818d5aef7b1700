-- The managed schema as one JSON object {"<kind> <qualified name>": {attributes}}, built from
-- one union branch per kind of object.
-- Parameters: %(excluded_schemas)s text[], %(excluded_tables)s text[] ('schema.table'),
-- %(excluded_routines)s text[] ('schema.name(args)'), %(platform_schemas)s text[].
-- Names are printed with search_path = pg_catalog, so every user object is schema-qualified.
-- Left out: schemas named pg_*, temp schemas, the excluded ones, extension members,
-- NOT NULL rows of pg_constraint (PostgreSQL 18; the column's not_null says it).
-- The platform's objects (nivomigrate/platform.py) come in the excluded parameters; the
-- app's triggers and policies on the platform's tables are kept (platform_table).
with managed_namespace as (
    select n.oid, n.nspname
    from pg_namespace n
    where n.nspname <> all (%(excluded_schemas)s::text[])
      and n.nspname not like 'pg\_%%'
      and n.nspname <> 'information_schema'
      and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_namespace'::regclass and d.objid = n.oid
                        and d.deptype = 'e')
),
managed_class as (
    select c.oid, c.relname, c.relkind, n.nspname, c.relpersistence, c.relrowsecurity,
           c.relforcerowsecurity, c.relispartition
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
-- The platform's tables, for the app's triggers and policies on them (auth.users).
platform_table as (
    select c.oid, c.relname, n.nspname
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(%(platform_schemas)s::text[]) and c.relkind in ('r', 'p')
),
managed_object (kind, name, attributes) as (
select 'schema' as kind, n.nspname as name, jsonb_build_object(
           'comment', obj_description(n.oid, 'pg_namespace')) as attributes
from managed_namespace n

union all
select 'table', t.nspname || '.' || t.relname, jsonb_build_object(
           'kind', t.relkind,
           'unlogged', t.relpersistence = 'u',
           'row_security', t.relrowsecurity,
           'force_row_security', t.relforcerowsecurity,
           'partition_key', case when t.relkind = 'p' then pg_get_partkeydef(t.oid) end,
           'partition_of', (select i.inhparent::regclass::text from pg_inherits i
                            where i.inhrelid = t.oid and t.relispartition),
           'partition_bound', case when t.relispartition
                                   then pg_get_expr(c.relpartbound, t.oid) end,
           'comment', dc.description)
from managed_table t
join pg_class c on c.oid = t.oid
left join pg_description dc on dc.objoid = t.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = 0

union all
select 'column', t.nspname || '.' || t.relname || '.' || a.attname, jsonb_build_object(
           'type', format_type(a.atttypid, a.atttypmod),
           'not_null', a.attnotnull,
           'default', case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end,
           'generated', case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end,
           'identity', nullif(a.attidentity, ''),
           'collation', case when a.attcollation <> ty.typcollation
                             then a.attcollation::regcollation::text end,
           'comment', dc.description)
from managed_table t
join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
join pg_type ty on ty.oid = a.atttypid
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
left join pg_description dc on dc.objoid = t.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = a.attnum

union all
select 'index', i.nspname || '.' || i.relname, jsonb_build_object(
           'table', t.nspname || '.' || t.relname,
           'definition', pg_get_indexdef(i.oid),
           'valid', x.indisvalid,
           'comment', dc.description)
from managed_class i
join pg_index x on x.indexrelid = i.oid
join managed_class t on t.oid = x.indrelid
left join pg_description dc on dc.objoid = i.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = 0

union all
select 'constraint', t.nspname || '.' || t.relname || '.' || k.conname, jsonb_build_object(
           'type', k.contype,
           'definition', pg_get_constraintdef(k.oid),
           'validated', k.convalidated,
           'comment', dc.description)
from managed_table t
join pg_constraint k on k.conrelid = t.oid
left join pg_description dc on dc.objoid = k.oid and dc.classoid = 'pg_constraint'::regclass
where k.contype in ('p', 'u', 'f', 'c', 'x')

union all
select 'enum', n.nspname || '.' || ty.typname, jsonb_build_object(
           'labels', (select jsonb_agg(e.enumlabel order by e.enumsortorder)
                      from pg_enum e where e.enumtypid = ty.oid),
           'comment', obj_description(ty.oid, 'pg_type'))
from pg_type ty
join managed_namespace n on n.oid = ty.typnamespace
where ty.typtype = 'e'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_type'::regclass and d.objid = ty.oid and d.deptype = 'e')

union all
select 'domain', n.nspname || '.' || ty.typname, jsonb_build_object(
           'type', format_type(ty.typbasetype, ty.typtypmod),
           'not_null', ty.typnotnull,
           'default', ty.typdefault,
           'checks', (select jsonb_agg(pg_get_constraintdef(k.oid) order by k.conname)
                      from pg_constraint k where k.contypid = ty.oid and k.contype = 'c'))
from pg_type ty
join managed_namespace n on n.oid = ty.typnamespace
where ty.typtype = 'd'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_type'::regclass and d.objid = ty.oid and d.deptype = 'e')

union all
select 'type', c.nspname || '.' || c.relname, jsonb_build_object(
           'attributes', (select jsonb_agg(jsonb_build_array(
                                     a.attname, format_type(a.atttypid, a.atttypmod))
                                 order by a.attnum)
                          from pg_attribute a
                          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped))
from managed_class c
where c.relkind = 'c'

union all
select 'sequence', c.nspname || '.' || c.relname, jsonb_build_object(
           'type', format_type(s.seqtypid, null),
           'start', s.seqstart, 'increment', s.seqincrement,
           'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
           'owned_by', (select d.refobjid::regclass::text || '.' || a.attname
                        from pg_depend d
                        join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                        where d.classid = 'pg_class'::regclass and d.objid = c.oid
                          and d.refclassid = 'pg_class'::regclass and d.deptype = 'a'
                        limit 1))
from managed_class c
join pg_sequence s on s.seqrelid = c.oid
where c.relkind = 'S'
  -- identity sequences belong to their column's identity
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid
                    and d.deptype = 'i')

union all
select case c.relkind when 'v' then 'view' else 'materialized view' end,
       c.nspname || '.' || c.relname, jsonb_build_object(
           'definition', pg_get_viewdef(c.oid),
           'comment', obj_description(c.oid, 'pg_class'))
from managed_class c
where c.relkind in ('v', 'm')

union all
select case p.prokind when 'p' then 'procedure' else 'function' end,
       n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       jsonb_build_object(
           'definition', case when p.prokind = 'a' then null else pg_get_functiondef(p.oid) end,
           'comment', obj_description(p.oid, 'pg_proc'))
from pg_proc p
join managed_namespace n on n.oid = p.pronamespace
where not exists (select 1 from pg_depend d
                  where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
  and n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'
      <> all (%(excluded_routines)s::text[])

union all
select 'trigger', t.nspname || '.' || t.relname || '.' || g.tgname, jsonb_build_object(
           'definition', pg_get_triggerdef(g.oid),
           'enabled', g.tgenabled)
from (select oid, relname, nspname from managed_class
      union all
      select oid, relname, nspname from platform_table) t
join pg_trigger g on g.tgrelid = t.oid
join pg_proc f on f.oid = g.tgfoid
where not g.tgisinternal
  and (t.oid in (select oid from managed_class)
       or f.pronamespace in (select oid from managed_namespace))

union all
select 'policy', t.nspname || '.' || t.relname || '.' || p.polname, jsonb_build_object(
           'command', p.polcmd,
           'permissive', p.polpermissive,
           'roles', (select jsonb_agg(case r when 0 then 'public' else r::regrole::text end
                                      order by 1)
                     from unnest(p.polroles) r),
           'using', pg_get_expr(p.polqual, p.polrelid),
           'with_check', pg_get_expr(p.polwithcheck, p.polrelid))
from (select oid, relname, nspname from managed_table
      union all
      select oid, relname, nspname from platform_table) t
join pg_policy p on p.polrelid = t.oid

union all
select 'extension', e.extname, jsonb_build_object(
           'schema', n.nspname,
           'version', e.extversion)
from pg_extension e
join managed_namespace n on n.oid = e.extnamespace

union all
select 'collation', n.nspname || '.' || c.collname, jsonb_build_object(
           'provider', c.collprovider,
           'deterministic', c.collisdeterministic,
           'collate', c.collcollate,
           'ctype', c.collctype)
from pg_collation c
join managed_namespace n on n.oid = c.collnamespace
)
select coalesce(json_object_agg(kind || ' ' || name, attributes), '{}')::text
from managed_object
