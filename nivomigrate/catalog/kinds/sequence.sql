-- Sequences and their options (identity sequences belong to their column's identity), over
-- managed.sql. Their current value is data, not schema: not read here.
select 'sequence' as kind, c.nspname || '.' || c.relname as name, json_build_object(
           'type', format_type(s.seqtypid, null),
           'start', s.seqstart, 'increment', s.seqincrement,
           'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
           'owned_by', (select d.refobjid::regclass::text || '.' || a.attname
                        from pg_depend d
                        join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                        where d.classid = 'pg_class'::regclass and d.objid = c.oid
                          and d.refclassid = 'pg_class'::regclass and d.deptype = 'a'
                        limit 1),
           'parts', case when %(parts)s then json_build_object(
               'schema', c.nspname, 'name', c.relname,
               -- the column that owns it: [schema, table, column]
               'owned_by', (select json_build_array(tn.nspname, t.relname, a.attname)
                            from pg_depend d
                            join pg_class t on t.oid = d.refobjid
                            join pg_namespace tn on tn.oid = t.relnamespace
                            join pg_attribute a on a.attrelid = d.refobjid
                                               and a.attnum = d.refobjsubid
                            where d.classid = 'pg_class'::regclass and d.objid = c.oid
                              and d.refclassid = 'pg_class'::regclass and d.deptype = 'a'
                            limit 1)) end) as attributes
from managed_class c
join pg_sequence s on s.seqrelid = c.oid
where c.relkind = 'S'
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid
                    and d.deptype = 'i')
