-- Collations in managed schemas, over managed.sql.
select 'collation' as kind, n.nspname || '.' || c.collname as name, json_build_object(
           'provider', c.collprovider,
           'deterministic', c.collisdeterministic,
           'collate', c.collcollate,
           'ctype', c.collctype,
           'icu_locale', c.colliculocale) as attributes
from pg_collation c
join managed_namespace n on n.oid = c.collnamespace
