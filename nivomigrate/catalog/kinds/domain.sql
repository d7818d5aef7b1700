-- Domains: base type, NOT NULL, default and CHECK constraints, over managed.sql.
select 'domain' as kind, t.nspname || '.' || t.typname as name, json_build_object(
           'type', format_type(ty.typbasetype, ty.typtypmod),
           'not_null', ty.typnotnull,
           'default', ty.typdefault,
           'checks', (select json_agg(pg_get_constraintdef(k.oid) order by k.conname)
                      from pg_constraint k where k.contypid = t.oid and k.contype = 'c'))
       as attributes
from managed_type t
join pg_type ty on ty.oid = t.oid
where t.typtype = 'd'
