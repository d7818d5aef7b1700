-- Extensions installed in managed schemas, over managed.sql.
select 'extension' as kind, e.extname as name, json_build_object(
           'schema', n.nspname,
           'version', e.extversion) as attributes
from pg_extension e
join managed_namespace n on n.oid = e.extnamespace
