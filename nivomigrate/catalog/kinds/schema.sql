-- Schemas: (kind, qualified name, attributes), over managed.sql.
select 'schema' as kind, n.nspname as name, jsonb_build_object(
           'comment', obj_description(n.oid, 'pg_namespace')) as attributes
from managed_namespace n
