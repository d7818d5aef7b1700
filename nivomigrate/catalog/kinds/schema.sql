-- Schemas: (kind, qualified name, attributes), over managed.sql.
-- (text, not name: the union's column takes this type, and a name is cut at 63 bytes)
select 'schema' as kind, n.nspname::text as name, json_build_object(
           'comment', obj_description(n.oid, 'pg_namespace')) as attributes
from managed_namespace n
