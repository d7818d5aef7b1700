-- Tables (plain, partitioned, foreign) and their partitioning, over managed.sql.
-- Its attributes are a JSON array of values, named in KINDS' order (catalog/__init__.py),
-- parts last: keys in every row cost the server and the parser a tenth of the read.
select 'table' as kind, t.nspname || '.' || t.relname as name, json_build_array(
           t.relkind,  -- kind
           t.relpersistence = 'u',  -- unlogged
           t.relrowsecurity,  -- row_security
           t.relforcerowsecurity,  -- force_row_security
           case when t.relkind = 'p' then pg_get_partkeydef(t.oid) end,  -- partition_key
           (select i.inhparent::regclass::text from pg_inherits i  -- partition_of
                            where i.inhrelid = t.oid and t.relispartition),
           case when t.relispartition  -- partition_bound
                                   then pg_get_expr(t.relpartbound, t.oid) end,
           dc.description,  -- comment
           case when %(parts)s  -- parts
                         then json_build_object('schema', t.nspname, 'name', t.relname) end
       ) as attributes
from managed_table t
left join pg_description dc on dc.objoid = t.oid and dc.classoid = 'pg_class'::regclass
                              and dc.objsubid = 0
