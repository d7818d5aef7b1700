-- Views and materialized views, over managed.sql. Options: security_invoker,
-- security_barrier, check_option (booleans normalised in Python). Without security_invoker a
-- view reads with its owner's rights: the owner is read, `current_user` when it is the reader.
select case c.relkind when 'v' then 'view' else 'materialized view' end as kind,
       c.nspname || '.' || c.relname as name, json_build_object(
           'definition', pg_get_viewdef(c.oid),
           'comment', obj_description(c.oid, 'pg_class'),
           'options', (select jsonb_object_agg(split_part(o, '=', 1), substr(o, strpos(o, '=') + 1))
                       from unnest(c.reloptions) o),
           'owner', (select case when c.relowner = r.oid then 'current_user'
                                 else c.relowner::regrole::text end
                     from pg_roles r where r.rolname = current_user),
           'parts', case when %(parts)s
                         then json_build_object('schema', c.nspname, 'name', c.relname) end
       ) as attributes
from managed_class c
where c.relkind in ('v', 'm')
