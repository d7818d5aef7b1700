-- Functions, aggregates and procedures keyed "schema.name(identity arguments)", over
-- managed.sql. A SECURITY DEFINER one runs with its owner's rights: its owner is read.
select case p.prokind when 'p' then 'procedure' else 'function' end as kind,
       p.signature as name,
       json_build_object(
           'definition', case when p.prokind = 'a' then null else pg_get_functiondef(p.oid) end,
           'comment', obj_description(p.oid, 'pg_proc'),
           'security_definer', pp.prosecdef,
           'settings', to_json(pp.proconfig),
           'owner', case when pp.prosecdef then
                        (select case when p.proowner = r.oid then 'current_user'
                                     else p.proowner::regrole::text end
                         from pg_roles r where r.rolname = current_user) end) as attributes
from managed_proc p
join pg_proc pp on pp.oid = p.oid
