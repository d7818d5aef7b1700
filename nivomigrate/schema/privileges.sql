-- Privileges that differ from PostgreSQL's default, one row per object and grantee, read by
-- the grant entities of nivomigrate/schema/entities.py (the snapshot's privilege_object reads
-- the same way). Parameter: :schema, a LIKE pattern of schema names.
-- Left out: the owner's own privileges, schemas named pg_*, extension members, and PUBLIC's
-- USAGE on schema public (PostgreSQL 15's initdb grants it in every database).
-- `granted` is empty when a default privilege was revoked (PUBLIC's EXECUTE on a function).
with acl_object (on_kind, schema_name, object_name, column_name, owner, acl, default_kind) as (
    select case c.relkind when 'S' then 'sequence' else 'table' end, n.nspname, c.relname,
           null::text, c.relowner, c.relacl, case c.relkind when 'S' then 's' else 'r' end
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where c.relacl is not null and c.relkind in ('r', 'p', 'f', 'v', 'm', 'S')
    union all
    select 'column', n.nspname, c.relname, a.attname, c.relowner, a.attacl, 'c'
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    where a.attacl is not null and a.attnum > 0 and not a.attisdropped
    union all
    select 'function', n.nspname, p.proname || '(' || pg_catalog.oidvectortypes(p.proargtypes) || ')',
           null, p.proowner, p.proacl, 'f'
    from pg_proc p
    join pg_namespace n on n.oid = p.pronamespace
    where p.proacl is not null
      and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass
                                                  and d.objid = p.oid and d.deptype = 'e')
    union all
    select 'schema', n.nspname, n.nspname, null, n.nspowner, n.nspacl, 'n'
    from pg_namespace n
    where n.nspacl is not null
)
select o.on_kind, o.schema_name, o.object_name, o.column_name,
       case g.grantee when 0 then 'PUBLIC' else pg_catalog.pg_get_userbyid(g.grantee) end,
       g.granted, g.grantable
from acl_object o
cross join lateral (
    select r.grantee,
           array(select distinct e.privilege_type from aclexplode(o.acl) e
                 where e.grantee = r.grantee order by 1) as granted,
           coalesce((select bool_and(e.is_grantable) from aclexplode(o.acl) e
                     where e.grantee = r.grantee), false) as grantable,
           array(select distinct e.privilege_type
                 from aclexplode(acldefault(o.default_kind::"char", o.owner)) e
                 where e.grantee = r.grantee
                 union
                 -- initdb's own grant: every database has it
                 select 'USAGE' where o.on_kind = 'schema' and o.schema_name = 'public'
                                  and r.grantee = 0
                 order by 1) as by_default
    from (select e.grantee from aclexplode(o.acl) e
          union
          select e.grantee from aclexplode(acldefault(o.default_kind::"char", o.owner)) e) r
) g
where o.schema_name like :schema
  and o.schema_name not like 'pg\_%'
  and o.schema_name <> 'information_schema'
  and g.grantee <> o.owner
  and (g.granted <> g.by_default or g.grantable)
order by 1, 2, 3, 4, 5
