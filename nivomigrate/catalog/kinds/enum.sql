-- Enum types and their labels in order, over managed.sql.
select 'enum' as kind, t.nspname || '.' || t.typname as name, json_build_object(
           'labels', (select json_agg(e.enumlabel order by e.enumsortorder)
                      from pg_enum e where e.enumtypid = t.oid),
           'comment', obj_description(t.oid, 'pg_type')) as attributes
from managed_type t
where t.typtype = 'e'
