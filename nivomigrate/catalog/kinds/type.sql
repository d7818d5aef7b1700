-- Composite types and their attributes in order, over managed.sql.
select 'type' as kind, c.nspname || '.' || c.relname as name, json_build_object(
           'attributes', (select json_agg(json_build_array(
                                     a.attname, format_type(a.atttypid, a.atttypmod))
                                 order by a.attnum)
                          from pg_attribute a
                          where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped))
       as attributes
from managed_class c
where c.relkind = 'c'
