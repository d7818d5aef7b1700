-- Table constraints, keyed "schema.table.name"; not the NOT NULL rows PostgreSQL 18 adds
-- (the column's not_null says it). Over managed.sql.
select 'constraint' as kind, t.nspname || '.' || t.relname || '.' || k.conname as name,
       json_build_object(
           'type', k.contype,
           'definition', pg_get_constraintdef(k.oid),
           'validated', k.convalidated,
           'comment', dc.description,
           'parts', case when %(parts)s then json_build_object(
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
