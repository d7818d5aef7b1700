-- Columns of tables, keyed "schema.table.column" (not by position), over managed.sql.
-- Its attributes are a JSON array of values, named in KINDS' order (catalog/__init__.py),
-- parts last: keys in every row cost the server and the parser a tenth of the read.
select 'column' as kind, t.nspname || '.' || t.relname || '.' || a.attname as name,
       json_build_array(
           format_type(a.atttypid, a.atttypmod),  -- type
           a.attnotnull,  -- not_null
           case when a.attgenerated = '' then pg_get_expr(d.adbin, d.adrelid) end,  -- default
           case when a.attgenerated <> '' then pg_get_expr(d.adbin, d.adrelid) end,  -- generated
           nullif(a.attidentity, ''),  -- identity
           case when a.attcollation <> ty.typcollation  -- collation
                             then a.attcollation::regcollation::text end,
           dc.description,  -- comment
           case when %(parts)s then json_build_object(  -- parts
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
