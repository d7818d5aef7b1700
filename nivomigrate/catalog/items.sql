-- What the diff reads besides the objects' rows: what the rows do not say and the script needs
-- (privileges, default privileges, comments, relation options, row level security flags,
-- identity sequences and their options, domains, inheritance, the order of columns, what
-- views and routines use). One row per item: (kind, key, ident, parent, value). `key` is SQL
-- text naming the object (quoted as PostgreSQL quotes it) or the catalog's dotted name;
-- `ident`/`parent` are unquoted name arrays, matched against the objects the script drops.
-- Over managed.sql (`catalog.query`); run with search_path = pg_catalog.
acl_object (key, ident, owner, objtype, acl) as (
    select case c.relkind when 'S' then 'SEQUENCE ' else 'TABLE ' end
               || quote_ident(c.nspname) || '.' || quote_ident(c.relname),
           array['rel', c.nspname, c.relname], c.relowner,
           case c.relkind when 'S' then 's' else 'r' end, c.relacl
    from managed_class c
    where c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')
    union all
    select case p.prokind when 'p' then 'PROCEDURE ' else 'FUNCTION ' end
               || p.oid::regprocedure::text,
           array['func', p.nspname, p.proname, pg_get_function_identity_arguments(p.oid)],
           p.proowner, 'f', p.proacl
    from managed_proc p
    where p.prokind <> 'a'
    union all
    select 'TYPE ' || quote_ident(t.nspname) || '.' || quote_ident(t.typname),
           array['rel', t.nspname, t.typname], t.typowner, 'T', t.typacl
    from managed_type t
    union all
    select 'SCHEMA ' || quote_ident(n.nspname), array['schema', n.nspname], n.nspowner, 'n',
           n.nspacl
    from managed_namespace n
),
comment_object (key, ident, parent, description) as (
    select case o.type
               when 'table column' then 'COLUMN '
               when 'table constraint' then 'CONSTRAINT '
               when 'domain constraint' then 'CONSTRAINT '
               when 'composite type' then 'TYPE '
               when 'enum' then 'TYPE '
               else upper(o.type) || ' ' end
           || case when o.type = 'domain constraint'
                   then regexp_replace(o.identity, ' on ', ' ON DOMAIN ')
                   else o.identity end,
           case when d.classoid = 'pg_proc'::regclass
                then array['func', p.nspname, p.proname, pg_get_function_identity_arguments(p.oid)]
                when d.classoid = 'pg_namespace'::regclass then array['schema', o.identity]
                when d.objsubid <> 0
                then array['sub', ns.nspname, c.relname,
                           -- a lookup by key: a join of pg_attribute was a scan of all of it
                           (select a.attname from pg_attribute a
                            where a.attrelid = c.oid and a.attnum = d.objsubid)]
                when d.classoid in ('pg_trigger'::regclass, 'pg_policy'::regclass,
                                    'pg_constraint'::regclass)
                then array['sub', ns.nspname, coalesce(tc.relname, kt.typname),
                           coalesce(k.conname, g.tgname, y.polname)]
                else array['rel', ns.nspname, coalesce(c.relname, ty.typname)] end,
           case when d.objsubid <> 0 then array['rel', ns.nspname, c.relname]
                when tc.relname is not null then array['rel', ns.nspname, tc.relname] end,
           d.description
    from pg_description d
    cross join lateral pg_identify_object(d.classoid, d.objoid, d.objsubid) o
    left join pg_class c on d.classoid = 'pg_class'::regclass and c.oid = d.objoid
    left join managed_proc p on d.classoid = 'pg_proc'::regclass and p.oid = d.objoid
    left join pg_type ty on d.classoid = 'pg_type'::regclass and ty.oid = d.objoid
    left join pg_constraint k on d.classoid = 'pg_constraint'::regclass and k.oid = d.objoid
    left join pg_trigger g on d.classoid = 'pg_trigger'::regclass and g.oid = d.objoid
    left join pg_policy y on d.classoid = 'pg_policy'::regclass and y.oid = d.objoid
    left join pg_class tc on tc.oid = coalesce(k.conrelid, g.tgrelid, y.polrelid)
    left join pg_type kt on kt.oid = k.contypid
    -- the object's own schema (pg_identify_object's `schema` is quoted)
    left join pg_namespace ns on ns.oid = coalesce(c.relnamespace, p.pronamespace,
                                                   ty.typnamespace, tc.relnamespace,
                                                   kt.typnamespace)
    where d.classoid in ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass,
                         'pg_namespace'::regclass, 'pg_constraint'::regclass,
                         'pg_trigger'::regclass, 'pg_policy'::regclass)
      and (ns.nspname in (select nspname from managed_namespace)
           or (d.classoid = 'pg_namespace'::regclass
               and o.identity in (select quote_ident(nspname) from managed_namespace)))
      and (c.oid is null or c.oid in (select oid from managed_class))
      and (d.classoid <> 'pg_proc'::regclass or p.oid is not null)
      and (tc.oid is null or tc.oid in (select oid from managed_class))
      and not exists (select 1 from pg_depend e
                      where e.classid = d.classoid and e.objid = d.objoid and e.deptype = 'e')
),
-- identity columns and their sequences (pg_depend 'i' from the sequence to the column), read
-- once for the 'identity' and 'identity_sequence' items
identity_column (nspname, relname, attname, seqrelid) as (
    select c.nspname, c.relname, a.attname, d.objid
    from pg_depend d
    join managed_class c on c.oid = d.refobjid
    -- (int2, as attnum: the index of pg_attribute takes the column's number then)
    join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid::int2
    where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
      and d.deptype = 'i' and d.refobjsubid > 0
      and a.attidentity <> '' and not a.attisdropped
),
-- views, materialized views and routines, as the catalog keys them, with what CREATE OR
-- REPLACE cannot change of a routine
selectable (oid, classid, key, header) as (
    select c.oid, 'pg_class'::regclass,
           case c.relkind when 'v' then 'view ' else 'materialized view ' end
               || c.nspname || '.' || c.relname,
           null::text
    from managed_class c where c.relkind in ('v', 'm')
    union all
    select p.oid, 'pg_proc'::regclass,
           case p.prokind when 'p' then 'procedure ' else 'function ' end || p.signature,
           pg_get_function_arguments(p.oid) || ' -> '
               || coalesce(pg_get_function_result(p.oid), '')
    from managed_proc p
),
-- what each of them uses (pg_depend; a view's through its rewrite rule), by the same keys
selectable_use (oid, classid, key) as (
    select o.oid, o.classid, u.key
    from selectable o
    join (select d.objid, d.refclassid, d.refobjid, 'pg_proc'::regclass as classid
          from pg_depend d where d.classid = 'pg_proc'::regclass and d.deptype = 'n'
          union all
          select r.ev_class, d.refclassid, d.refobjid, 'pg_class'::regclass
          from pg_rewrite r
          join pg_depend d on d.classid = 'pg_rewrite'::regclass and d.objid = r.oid
                          and d.deptype = 'n') d
      on d.objid = o.oid and d.classid = o.classid
    cross join lateral (
        select case c.relkind when 'v' then 'view ' when 'm' then 'materialized view '
                              else 'table ' end || n.nspname || '.' || c.relname
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where d.refclassid = 'pg_class'::regclass and c.oid = d.refobjid and c.oid <> o.oid
          and c.relkind in ('r', 'p', 'v', 'm', 'f')
        union all
        select case q.prokind when 'p' then 'procedure ' else 'function ' end || n.nspname
                   || '.' || q.proname || '(' || pg_get_function_identity_arguments(q.oid) || ')'
        from pg_proc q join pg_namespace n on n.oid = q.pronamespace
        where d.refclassid = 'pg_proc'::regclass and q.oid = d.refobjid and q.oid <> o.oid
        union all
        select case t.typtype when 'e' then 'enum ' when 'd' then 'domain ' else 'type ' end
                   || n.nspname || '.' || t.typname
        from pg_type t join pg_namespace n on n.oid = t.typnamespace
        where d.refclassid = 'pg_type'::regclass and t.oid = d.refobjid
    ) u (key)
)
-- one JSON text of [kind, key, ident, parent, value] rows: one parse on the client
select coalesce(json_agg(json_build_array(kind, key, ident, parent, value)), '[]')::text
from (
select 'acl', a.key, a.ident::text[], null::text[], jsonb_build_object(
           'owner', a.owner::regrole::text,
           'schema', a.ident[2],
           'objtype', a.objtype,
           -- null: the built-in default (acldefault), made in Python
           'entries', case when a.acl is not null then coalesce((
               select jsonb_agg(distinct jsonb_build_array(
                          case x.grantee when 0 then 'PUBLIC' else x.grantee::regrole::text end,
                          x.privilege_type, x.is_grantable))
               from aclexplode(a.acl) x
               where x.grantee <> a.owner), '[]') end)
from acl_object a

union all
select 'default_acl',
       'FOR ROLE ' || d.defaclrole::regrole::text
           || coalesce(' IN SCHEMA ' || quote_ident(n.nspname), '') || '|' || d.defaclobjtype::text,
       array[d.defaclrole::regrole::text, coalesce(n.nspname, ''), d.defaclobjtype::text]::text[],
       null, jsonb_build_object(
           'objtype', d.defaclobjtype::text,
           'entries', coalesce((
               select jsonb_agg(distinct jsonb_build_array(
                          case x.grantee when 0 then 'PUBLIC' else x.grantee::regrole::text end,
                          x.privilege_type, x.is_grantable))
               from aclexplode(d.defaclacl) x
               where x.grantee <> d.defaclrole), '[]'))
from pg_default_acl d
left join pg_namespace n on n.oid = d.defaclnamespace
where d.defaclnamespace = 0 or n.nspname in (select nspname from managed_namespace)

union all
select 'comment', c.key, c.ident::text[], c.parent::text[], to_jsonb(c.description)
from comment_object c

union all
select 'options',
       case c.relkind when 'v' then 'VIEW ' when 'm' then 'MATERIALIZED VIEW ' else 'TABLE ' end
           || quote_ident(c.nspname) || '.' || quote_ident(c.relname),
       array['rel', c.nspname, c.relname]::text[], null,
       (select jsonb_agg(o order by i) from unnest(c.reloptions) with ordinality r (o, i))
from managed_class c
where c.relkind in ('r', 'p', 'v', 'm') and c.reloptions is not null

union all
select 'row_security', 'TABLE ' || quote_ident(c.nspname) || '.' || quote_ident(c.relname),
       array['rel', c.nspname, c.relname]::text[], null,
       jsonb_build_array(c.relrowsecurity, c.relforcerowsecurity)
from managed_class c
where c.relkind in ('r', 'p') and (c.relrowsecurity or c.relforcerowsecurity)

union all
select 'identity',
       'TABLE ' || quote_ident(c.nspname) || '.' || quote_ident(c.relname)
           || ' ALTER COLUMN ' || quote_ident(c.attname),
       array['sub', c.nspname, c.relname, c.attname]::text[],
       array['rel', c.nspname, c.relname]::text[],
       jsonb_build_array(s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
from identity_column c
join pg_sequence s on s.seqrelid = c.seqrelid

union all
-- each identity column's sequence ("schema.table.column" -> [schema, name]): a renamed one is
-- a difference (the rows do not name it), a new one gets its name
select 'identity_sequence', c.nspname || '.' || c.relname || '.' || c.attname,
       array['sub', c.nspname, c.relname, c.attname]::text[],
       array['rel', c.nspname, c.relname]::text[],
       jsonb_build_array(sn.nspname, s.relname)
from identity_column c
join pg_class s on s.oid = c.seqrelid and s.relkind = 'S'
join pg_namespace sn on sn.oid = s.relnamespace

union all
select 'domain', quote_ident(t.nspname) || '.' || quote_ident(t.typname),
       array['rel', t.nspname, t.typname]::text[], null, jsonb_build_object(
           'type', format_type(ty.typbasetype, ty.typtypmod),
           'collation', case when ty.typcollation <> b.typcollation
                             then ty.typcollation::regcollation::text end,
           'default', ty.typdefault,
           'not_null', ty.typnotnull,
           'checks', coalesce((select jsonb_object_agg(k.conname, pg_get_constraintdef(k.oid))
                               from pg_constraint k
                               where k.contypid = t.oid and k.contype = 'c'), '{}'))
from managed_type t
join pg_type ty on ty.oid = t.oid
join pg_type b on b.oid = ty.typbasetype
where t.typtype = 'd'

union all
-- functions a column default, generated column or constraint calls: created before tables
select distinct 'default_function',
       case p.prokind when 'p' then 'procedure ' else 'function ' end || p.nspname || '.'
           || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       null::text[], null::text[], to_jsonb(pg_get_functiondef(p.oid))
from pg_depend d
join managed_proc p on p.oid = d.refobjid
where d.refclassid = 'pg_proc'::regclass
  and d.classid in ('pg_attrdef'::regclass, 'pg_constraint'::regclass)

union all
-- each inheritance child's parents ("schema.table" -> [[schema, table], ...], in their order);
-- a partition's parent is its table row's `partition_of`
select 'inherits', c.nspname || '.' || c.relname, array['rel', c.nspname, c.relname]::text[],
       null::text[], (select jsonb_agg(jsonb_build_array(pn.nspname, p.relname)
                                       order by i.inhseqno)
                      from pg_inherits i
                      join pg_class p on p.oid = i.inhparent
                      join pg_namespace pn on pn.oid = p.relnamespace
                      where i.inhrelid = c.oid)
from managed_class c
where c.relkind in ('r', 'p', 'f') and not c.relispartition
  and exists (select 1 from pg_inherits i where i.inhrelid = c.oid)

union all
-- columns a child table (or a partition) inherits, with whether it declares them too: its
-- parent's ALTERs reach them, and the ones it only inherits are its parent's to add and drop
select 'inherited_column', c.nspname || '.' || c.relname || '.' || a.attname, null::text[],
       null::text[], to_jsonb(a.attislocal)
from managed_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where a.attinhcount > 0 and c.relkind in ('r', 'p')

union all
-- the table each foreign key references ("schema.table.constraint" -> [schema, table]): one
-- onto a table the script re-makes is dropped before and added again after
select 'fk_references', c.nspname || '.' || c.relname || '.' || k.conname, null::text[],
       null::text[], to_jsonb(array[rn.nspname::text, rc.relname::text])
from managed_class c
join pg_constraint k on k.conrelid = c.oid and k.contype = 'f'
join pg_class rc on rc.oid = k.confrelid
join pg_namespace rn on rn.oid = rc.relnamespace

union all
-- indexes of partitions attached to their partitioned table's index
select 'index_parent', quote_ident(c.nspname) || '.' || quote_ident(c.relname),
       array['rel', c.nspname, c.relname]::text[], null::text[],
       to_jsonb(i.inhparent::regclass::text)
from managed_class c
join pg_inherits i on i.inhrelid = c.oid
where c.relkind in ('i', 'I')

union all
-- what a partition or inheritance child gets from its parent (inherited constraints, cloned
-- triggers): never scripted on its own, the parent's statement makes it
select 'follower', f.kind || ' ' || c.nspname || '.' || c.relname || '.' || f.name, null::text[],
       null::text[], null::jsonb
from managed_class c
join (select 'constraint' as kind, k.conrelid as relid, k.conname as name
      from pg_constraint k where k.coninhcount > 0 and not k.conislocal
      union all
      select 'trigger', g.tgrelid, g.tgname from pg_trigger g where g.tgparentid <> 0) f
  on f.relid = c.oid

union all
-- what each view, materialized view and routine uses (pg_depend): views, routines, tables and
-- types, as the catalog's keys ("view s.v", "function s.f(int)", "table s.t", "enum s.e"); with
-- a routine's header (what CREATE OR REPLACE cannot change): created after what they use,
-- dropped before it
select 'selectable_uses', o.key, null::text[], null::text[], jsonb_build_object(
           'uses', coalesce(u.uses, '[]'), 'header', o.header)
from selectable o
left join (select oid, classid, jsonb_agg(distinct key) as uses
           from selectable_use group by oid, classid) u
       on u.oid = o.oid and u.classid = o.classid

union all
-- sequences' current values (data, read only to know whether new bounds would refuse them;
-- null when never used or not readable by this role)
select 'sequence_value', c.nspname || '.' || c.relname, null::text[], null::text[],
       to_jsonb(case when has_sequence_privilege(c.oid, 'SELECT')
                     then pg_sequence_last_value(c.oid) end)
from managed_class c
where c.relkind = 'S'
  -- as sequence.sql: identity sequences are their column's (reading a value opens the sequence)
  and not exists (select 1 from pg_depend d
                  where d.classid = 'pg_class'::regclass and d.objid = c.oid
                    and d.deptype = 'i')

union all
-- replica identities other than the default: full, nothing, using index "name"
select 'replica_identity', 'TABLE ' || quote_ident(c.nspname) || '.' || quote_ident(c.relname),
       array['rel', c.nspname, c.relname]::text[], null::text[],
       to_jsonb(case c.relreplident when 'f' then 'full' when 'n' then 'nothing'
                else 'using index ' || (select quote_ident(i.relname) from pg_index x
                                        join pg_class i on i.oid = x.indexrelid
                                        where x.indrelid = c.oid and x.indisreplident) end)
from managed_class c
where c.relkind in ('r', 'p') and c.relreplident <> 'd'

union all
-- each table's own columns in their order ("schema.table" as the snapshot names it), as
-- pg_dump shows them: inherited columns and partitions' columns follow their parent
select 'column_order', c.nspname || '.' || c.relname, array['rel', c.nspname, c.relname]::text[],
       null::text[], (select to_jsonb(array_agg(a.attname order by a.attnum))
                      from pg_attribute a
                      where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
                        and a.attislocal)
from managed_class c
where c.relkind in ('r', 'p') and not c.relispartition

union all
-- column privileges (GRANT SELECT (col) ON t): a new column has none
select 'column_acl', quote_ident(c.nspname) || '.' || quote_ident(c.relname) || '|'
           || quote_ident(a.attname),
       array['sub', c.nspname, c.relname, a.attname]::text[],
       array['rel', c.nspname, c.relname]::text[],
       coalesce((select jsonb_agg(distinct jsonb_build_array(
                            case x.grantee when 0 then 'PUBLIC' else x.grantee::regrole::text end,
                            x.privilege_type, x.is_grantable))
                 from aclexplode(a.attacl) x
                 where x.grantee <> c.relowner), '[]')
from managed_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where a.attacl is not null and c.relkind in ('r', 'p', 'v', 'm', 'f')

) item (kind, key, ident, parent, value)
