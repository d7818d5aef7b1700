-- What an interrupted or failed online change leaves behind in a database: indexes that are
-- INVALID or not ready (a CREATE INDEX CONCURRENTLY that did not finish), constraints still
-- NOT VALID (a VALIDATE that did not run), and sequences owned by a column whose maximum is
-- past them. Platform schemas (pg_*, information_schema, Supabase's) are left out.
select 'index' as kind, n.nspname, t.relname as table_name, c.relname as name,
       pg_get_indexdef(i.indexrelid) as definition, null::text as column_name
from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = c.relnamespace
where (not i.indisvalid or not i.indisready) and n.nspname = any(%(schemas)s)
union all
select 'constraint', n.nspname, t.relname, k.conname, pg_get_constraintdef(k.oid), null
from pg_constraint k
join pg_class t on t.oid = k.conrelid
join pg_namespace n on n.oid = t.relnamespace
where not k.convalidated and n.nspname = any(%(schemas)s)
union all
select 'sequence', n.nspname, t.relname, s.relname, coalesce(q.last_value::text, ''),
       a.attname
from pg_class s
join pg_namespace n on n.oid = s.relnamespace
join pg_depend d on d.objid = s.oid and d.classid = 'pg_class'::regclass
     and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i')
join pg_class t on t.oid = d.refobjid
join pg_attribute a on a.attrelid = t.oid and a.attnum = d.refobjsubid
left join pg_sequences q on q.schemaname = n.nspname and q.sequencename = s.relname
where s.relkind = 'S' and n.nspname = any(%(schemas)s)
order by 1, 2, 3, 4
