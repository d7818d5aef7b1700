-- Table constraints, keyed "schema.table.name"; not the NOT NULL rows PostgreSQL 18 adds
-- (the column's not_null says it). Over managed.sql.
-- Its attributes are a JSON array of values, named in KINDS' order (catalog/__init__.py),
-- parts last: keys in every row cost the server and the parser a tenth of the read.
select 'constraint' as kind, t.nspname || '.' || t.relname || '.' || k.conname as name,
       json_build_array(
           k.contype,  -- type
           pg_get_constraintdef(k.oid),  -- definition
           k.convalidated,  -- validated
           dc.description,  -- comment
           case when %(parts)s then json_build_object(  -- parts
               'schema', t.nspname, 'table', t.relname, 'name', k.conname,
               -- the columns it is on, in its key's order
               'columns', (select json_agg(a.attname order by c.n)
                           from unnest(k.conkey) with ordinality c (attnum, n)
                           join pg_attribute a on a.attrelid = t.oid and a.attnum = c.attnum)
           ) end) as attributes
from managed_table t
join pg_constraint k on k.conrelid = t.oid
left join pg_description dc on dc.objoid = k.oid and dc.classoid = 'pg_constraint'::regclass
where k.contype in ('p', 'u', 'f', 'c', 'x')
