-- Privileges, over managed.sql: one row per object and grantee whose privileges differ from
-- PostgreSQL's default for the object (acldefault: the owner has all, PUBLIC may EXECUTE
-- functions), keyed "on <kind> <qualified name> to <grantee>". A GRANT shows as a grantee's
-- privileges, a REVOKE of a default as fewer (maybe none). `*`: WITH GRANT OPTION. The owner
-- is printed `owner`, all roles `PUBLIC`, so that owners' names do not differ.
select 'grant' as kind,
       'on ' || o.on_kind || ' ' || o.name || ' to '
           || case g.grantee when 0 then 'PUBLIC' when o.owner then 'owner'
                             else g.grantee::regrole::text end as name,
       json_build_object(
           'privileges', to_json(g.actual),
           'parts', case when %(parts)s then json_build_object(
               'on', o.on_kind, 'schema', o.schema_name, 'name', o.object_name,
               'column', o.column_name,
               'grantee', case when g.grantee <> 0 then pg_get_userbyid(g.grantee) end,
               'is_owner', g.grantee = o.owner) end
       ) as attributes
from (
    select case c.relkind when 'S' then 'sequence' when 'v' then 'view'
                          when 'm' then 'materialized view' when 'f' then 'foreign table'
                          else 'table' end,
           c.nspname || '.' || c.relname, c.relowner, c.relacl,
           case c.relkind when 'S' then 's' else 'r' end,
           c.nspname, c.relname, null::name
    from managed_class c
    where c.relacl is not null and c.relkind in ('r', 'p', 'f', 'v', 'm', 'S')
    union all
    select 'column', c.nspname || '.' || c.relname || '.' || a.attname, c.relowner, a.attacl, 'c',
           c.nspname, c.relname, a.attname
    from managed_class c
    join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    where a.attacl is not null and c.relkind in ('r', 'p', 'f', 'v', 'm')
    union all
    select case p.prokind when 'p' then 'procedure' else 'function' end, p.signature,
           p.proowner, p.proacl, 'f', p.nspname,
           -- a routine's name with its argument types: "f(text, integer)"
           p.proname || '(' || oidvectortypes(pp.proargtypes) || ')', null
    from managed_proc p
    join pg_proc pp on pp.oid = p.oid
    where p.proacl is not null
    union all
    select 'schema', n.nspname, n.nspowner, n.nspacl, 'n', n.nspname, n.nspname, null
    from managed_namespace n
    where n.nspacl is not null
) o (on_kind, name, owner, acl, default_kind, schema_name, object_name, column_name)
cross join lateral (
    select grantee,
           array(select distinct e.privilege_type || case when e.is_grantable then '*' else '' end
                 from aclexplode(o.acl) e where e.grantee = r.grantee order by 1) as actual,
           array(select distinct e.privilege_type || case when e.is_grantable then '*' else '' end
                 from aclexplode(acldefault(o.default_kind::"char", o.owner)) e
                 where e.grantee = r.grantee order by 1) as by_default
    from (select e.grantee from aclexplode(o.acl) e
          union
          select e.grantee from aclexplode(acldefault(o.default_kind::"char", o.owner)) e) r
) g
where g.actual <> g.by_default
