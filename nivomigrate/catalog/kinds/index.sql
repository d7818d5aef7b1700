-- Indexes of managed relations, over managed.sql.
-- Its attributes are a JSON array of values, named in KINDS' order (catalog/__init__.py),
-- parts last: keys in every row cost the server and the parser a tenth of the read.
select 'index' as kind, i.nspname || '.' || i.relname as name, json_build_array(
           t.nspname || '.' || t.relname,  -- table
           pg_get_indexdef(i.oid),  -- definition
           x.indisvalid,  -- valid
           dc.description,  -- comment
           case when %(parts)s  -- parts
                         then json_build_object('schema', i.nspname, 'table', t.relname,
                                                 'name', i.relname) end
       ) as attributes
from managed_class i
join pg_index x on x.indexrelid = i.oid
join managed_class t on t.oid = x.indrelid
left join pg_description dc on dc.objoid = i.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = 0
