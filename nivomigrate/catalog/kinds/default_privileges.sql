-- ALTER DEFAULT PRIVILEGES, over managed.sql: what objects a role creates later get, per
-- grantee, keyed "for <role> [in <schema>] on <noun> to <grantee>". The role is printed
-- `current_user` when it is the role reading (the one migrations run as). Global entries
-- replace the built-in default (acldefault); per-schema ones add to it.
select 'default_privileges' as kind,
       'for ' || case when d.defaclrole = cu.oid then 'current_user'
                      else d.defaclrole::regrole::text end
       || coalesce(' in ' || n.nspname, '') || ' on ' || k.noun
       || ' to ' || case g.grantee when 0 then 'PUBLIC' when d.defaclrole then 'owner'
                                   else g.grantee::regrole::text end as name,
       json_build_object(
           'privileges', to_json(g.actual),
           'parts', case when %(parts)s then json_build_object(
               'role', pg_get_userbyid(d.defaclrole), 'for_current_user', d.defaclrole = cu.oid,
               'schema', n.nspname, 'on', k.noun,
               'grantee', case when g.grantee <> 0 then pg_get_userbyid(g.grantee) end) end
       ) as attributes
from pg_default_acl d
join default_acl_kind k on k.objtype = d.defaclobjtype
join pg_roles cu on cu.rolname = current_user
left join managed_namespace n on n.oid = d.defaclnamespace
cross join lateral (
    select case when d.defaclnamespace = 0 then acldefault(k.acl_kind, d.defaclrole) end as acl
) base
cross join lateral (
    select grantee,
           array(select distinct e.privilege_type || case when e.is_grantable then '*' else '' end
                 from aclexplode(d.defaclacl) e where e.grantee = r.grantee order by 1) as actual,
           array(select distinct e.privilege_type || case when e.is_grantable then '*' else '' end
                 from aclexplode(base.acl) e where e.grantee = r.grantee order by 1) as by_default
    from (select e.grantee from aclexplode(d.defaclacl) e
          union
          select e.grantee from aclexplode(base.acl) e) r
) g
where (d.defaclnamespace = 0 or n.oid is not null)
  and g.actual <> g.by_default
