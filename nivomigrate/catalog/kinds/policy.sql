-- Row level security policies (the platform's tables' too: they are the app's), keyed
-- "schema.table.name", over managed.sql.
select 'policy' as kind, t.nspname || '.' || t.relname || '.' || p.polname as name,
       json_build_object(
           'command', p.polcmd,
           'permissive', p.polpermissive,
           'roles', (select json_agg(case r when 0 then 'public' else r::regrole::text end
                                      order by 1)
                     from unnest(p.polroles) r),
           'using', pg_get_expr(p.polqual, p.polrelid),
           'with_check', pg_get_expr(p.polwithcheck, p.polrelid),
           'parts', case when %(parts)s then json_build_object(
               'schema', t.nspname, 'table', t.relname, 'name', p.polname,
               'roles', (select json_agg(case r when 0 then null else pg_get_userbyid(r) end
                                          order by 1)
                         from unnest(p.polroles) r)) end) as attributes
from (select oid, relname, nspname from managed_table
      union all
      select oid, relname, nspname from platform_table) t
join pg_policy p on p.polrelid = t.oid
