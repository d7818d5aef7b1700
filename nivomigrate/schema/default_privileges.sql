-- ALTER DEFAULT PRIVILEGES entries, one row per entry and grantee whose privileges differ from
-- the built-in default, for DefaultPrivileges in nivomigrate/schema/entities.py. A global
-- entry (no IN SCHEMA) replaces acldefault(); one IN SCHEMA adds to it.
-- Parameter: :schema, a LIKE pattern; global entries count as schema public.
-- for_role is null when it is the role reading (the one migrations run as).
select case when d.defaclrole = cu.oid then null
            else pg_catalog.pg_get_userbyid(d.defaclrole) end as for_role,
       n.nspname as in_schema,
       d.defaclobjtype::text as object_type,
       case g.grantee when 0 then 'PUBLIC' else pg_catalog.pg_get_userbyid(g.grantee) end,
       g.granted, g.grantable
from pg_default_acl d
join pg_roles cu on cu.rolname = current_user
left join pg_namespace n on n.oid = d.defaclnamespace
cross join lateral (
    select case when d.defaclnamespace = 0
                then acldefault(case d.defaclobjtype when 'S' then 's' else d.defaclobjtype end,
                                d.defaclrole) end as acl
) base
cross join lateral (
    select r.grantee,
           array(select distinct e.privilege_type from aclexplode(d.defaclacl) e
                 where e.grantee = r.grantee order by 1) as granted,
           coalesce((select bool_and(e.is_grantable) from aclexplode(d.defaclacl) e
                     where e.grantee = r.grantee), false) as grantable,
           array(select distinct e.privilege_type from aclexplode(base.acl) e
                 where e.grantee = r.grantee order by 1) as by_default
    from (select e.grantee from aclexplode(d.defaclacl) e
          union
          select e.grantee from aclexplode(base.acl) e) r
) g
where coalesce(n.nspname, 'public') like :schema
  and g.grantee <> d.defaclrole
  and (g.granted <> g.by_default or g.grantable)
order by 1, 2, 3, 4
