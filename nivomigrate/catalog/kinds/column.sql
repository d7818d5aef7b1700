-- Columns of tables, keyed "schema.table.column" (not by position), over managed.sql.
select 'column' as kind, t.nspname || '.' || t.relname || '.' || a.attname as name,
       json_build_object(
           'type', format_type(a.atttypid, a.atttypmod),
           'not_null', a.attnotnull,
           'default', case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end,
           'generated', case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end,
           'identity', nullif(a.attidentity, ''),
           'collation', case when a.attcollation <> ty.typcollation
                             then a.attcollation::regcollation::text end,
           'comment', dc.description,
           'parts', case when %(parts)s then json_build_object(
               'schema', t.nspname, 'table', t.relname, 'name', a.attname,
               'position', a.attnum,
               -- an identity column's sequence: [schema, name]
               'sequence', case when a.attidentity <> '' then (
                   select json_build_array(sn.nspname, s.relname)
                   from pg_depend sd
                   join pg_class s on s.oid = sd.objid
                   join pg_namespace sn on sn.oid = s.relnamespace
                   where sd.refclassid = 'pg_class'::regclass and sd.refobjid = t.oid
                     and sd.classid = 'pg_class'::regclass
                     and sd.refobjsubid = a.attnum and sd.deptype = 'i' and s.relkind = 'S'
                   limit 1) end) end) as attributes
from managed_table t
join pg_attribute a on a.attrelid = t.oid and a.attnum > 0 and not a.attisdropped
join pg_type ty on ty.oid = a.atttypid
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
left join pg_description dc on dc.objoid = t.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = a.attnum
