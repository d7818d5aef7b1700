-- Tables (plain, partitioned, foreign) and their partitioning, over managed.sql.
select 'table' as kind, t.nspname || '.' || t.relname as name, json_build_object(
           'kind', t.relkind,
           'unlogged', t.relpersistence = 'u',
           'row_security', t.relrowsecurity,
           'force_row_security', t.relforcerowsecurity,
           'partition_key', case when t.relkind = 'p' then pg_get_partkeydef(t.oid) end,
           'partition_of', (select i.inhparent::regclass::text from pg_inherits i
                            where i.inhrelid = t.oid and t.relispartition),
           'partition_bound', case when t.relispartition
                                   then pg_get_expr(t.relpartbound, t.oid) end,
           'comment', dc.description,
           'parts', case when %(parts)s
                         then json_build_object('schema', t.nspname, 'name', t.relname) end
       ) as attributes
from managed_table t
left join pg_description dc on dc.objoid = t.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = 0
