-- Every index of the application's tables, one row each, as the server stores it, over
-- nivomigrate/catalog/managed.sql (`catalog.query` puts the managed objects before it).
-- Key columns first (indnkeyatts of them), then INCLUDE columns.
select
    n.nspname                                   as schema_name,
    t.relname                                   as table_name,
    c.relname                                   as index_name,
    c.oid                                       as index_oid,
    am.amname                                   as method,
    i.indisunique                               as is_unique,
    i.indisprimary                              as is_primary,
    i.indisvalid                                as is_valid,
    i.indisready                                as is_ready,
    i.indnkeyatts                               as key_count,
    -- attribute name of each column (null for an expression), keys then INCLUDE
    array(select a.attname::text
          from generate_series(0, i.indnatts - 1) as k
          left join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[k]
                                   and i.indkey[k] <> 0
          order by k)                           as column_names,
    -- each column as SQL (an expression such as lower(email), or a quoted name)
    array(select pg_get_indexdef(i.indexrelid, k + 1, true)
          from generate_series(0, i.indnatts - 1) as k
          order by k)                           as column_defs,
    -- per key column: bit 1 = DESC, bit 2 = NULLS FIRST (pg_index.indoption)
    array(select i.indoption[k]::int
          from generate_series(0, i.indnkeyatts - 1) as k
          order by k)                           as key_options,
    -- per key column: operator class and collation, so two keys compare only when equal
    array(select i.indclass[k]::int
          from generate_series(0, i.indnkeyatts - 1) as k
          order by k)                           as key_opclasses,
    array(select i.indcollation[k]::int
          from generate_series(0, i.indnkeyatts - 1) as k
          order by k)                           as key_collations,
    pg_get_expr(i.indpred, i.indrelid)          as predicate,
    con.conname                                 as constraint_name,
    con.contype::text                           as constraint_type,
    exists (select 1 from pg_constraint fk
            where fk.contype = 'f' and fk.conindid = i.indexrelid) as is_referenced,
    pg_relation_size(c.oid)                     as size_bytes,
    pg_get_indexdef(i.indexrelid)               as definition
from pg_index i
join pg_class c on c.oid = i.indexrelid
join managed_class t on t.oid = i.indrelid
join pg_namespace n on n.oid = t.relnamespace
join pg_am am on am.oid = c.relam
left join pg_constraint con on con.conindid = i.indexrelid and con.conrelid = i.indrelid
                           and con.contype in ('p', 'u', 'x')
where t.relkind in ('r', 'p', 'm')
order by n.nspname, t.relname, c.relname
