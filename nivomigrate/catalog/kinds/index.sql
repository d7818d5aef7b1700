-- Indexes of managed relations, over managed.sql.
select 'index' as kind, i.nspname || '.' || i.relname as name, json_build_object(
           'table', t.nspname || '.' || t.relname,
           'definition', pg_get_indexdef(i.oid),
           'valid', x.indisvalid,
           'comment', dc.description,
           'parts', case when %(parts)s
                         then json_build_object('schema', i.nspname, 'table', t.relname,
                                                 'name', i.relname) end
       ) as attributes
from managed_class i
join pg_index x on x.indexrelid = i.oid
join managed_class t on t.oid = x.indrelid
left join pg_description dc on dc.objoid = i.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = 0
