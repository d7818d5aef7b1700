-- The privileges granted directly to some roles in one schema: on tables and sequences,
-- on single columns, and on the schema itself (aclexplode of the catalog's ACLs).
-- %(roles)s: role names; %(schema)s: the schema.
select r.rolname as role,
       case c.relkind when 'S' then 'sequence' else 'table' end as kind,
       c.relname as name, acl.privilege_type as privilege, null::name as column
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
cross join lateral aclexplode(c.relacl) acl
join pg_roles r on r.oid = acl.grantee
where n.nspname = %(schema)s and c.relkind in ('r', 'p', 'S', 'v', 'm')
  and r.rolname = any(%(roles)s)
union all
select r.rolname, 'table', c.relname, acl.privilege_type, a.attname
from pg_attribute a
join pg_class c on c.oid = a.attrelid
join pg_namespace n on n.oid = c.relnamespace
cross join lateral aclexplode(a.attacl) acl
join pg_roles r on r.oid = acl.grantee
where n.nspname = %(schema)s and a.attnum > 0 and not a.attisdropped
  and r.rolname = any(%(roles)s)
union all
select r.rolname, 'schema', n.nspname, acl.privilege_type, null
from pg_namespace n
cross join lateral aclexplode(n.nspacl) acl
join pg_roles r on r.oid = acl.grantee
where n.nspname = %(schema)s and r.rolname = any(%(roles)s)
