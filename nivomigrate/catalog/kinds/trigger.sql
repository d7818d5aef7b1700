-- Triggers of managed tables, and the app's triggers on the platform's tables (their function
-- is in a managed schema), keyed "schema.table.name", over managed.sql.
select 'trigger' as kind, t.nspname || '.' || t.relname || '.' || g.tgname as name,
       json_build_object(
           'definition', pg_get_triggerdef(g.oid),
           'enabled', g.tgenabled,
           'parts', case when %(parts)s
                         then json_build_object('schema', t.nspname, 'table', t.relname,
                                                 'name', g.tgname) end
       ) as attributes
from (select oid, relname, nspname from managed_class
      union all
      select oid, relname, nspname from platform_table) t
join pg_trigger g on g.tgrelid = t.oid
join pg_proc f on f.oid = g.tgfoid
where not g.tgisinternal
  and (t.oid in (select oid from managed_class)
       or f.pronamespace in (select oid from managed_namespace))
