"""A table renamed in the models, written as a RENAME instead of a drop and a create.

Autogenerate sees a renamed `__tablename__` as one table dropped (its data lost) and another
created. `rename_tables` (inside alembic's `process_revision_directives`) turns that pair
into `ALTER TABLE ... RENAME TO` (autogenerate renders no `RenameTableOp`), then renames
the keys and indexes whose names follow the table (`Old_pkey` to `New_pkey`, as a naming
convention names them), matched to the old table's by kind and columns in the catalog, and
the sequences of its serial and identity columns (`Old_id_seq`, as PostgreSQL names them);
downgrade renames them back. The foreign keys of other tables that autogenerate would drop
and add again because they now name the new table are left alone: PostgreSQL follows the
table, not its name. Written by hand: alembic has no rename detection.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic.operations import ops

from nivomigrate.errors import ConfigError

_KEYS_AND_INDEXES = sa.text("""
select 'constraint' as kind, c.contype::text as type, c.conname as name,
       array(select a.attname::text from unnest(c.conkey) with ordinality k(num, place)
             join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.num
             order by k.place) as columns
from pg_constraint c
where c.conrelid = to_regclass(quote_ident(:table)) and c.contype in ('p', 'u', 'f')
union all
select 'index', case when x.indisunique then 'u' else 'i' end, i.relname::text,
       array(select a.attname::text from unnest(x.indkey::int2[]) with ordinality k(num, place)
             join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.num
             order by k.place)
from pg_index x
join pg_class i on i.oid = x.indexrelid
where x.indrelid = to_regclass(quote_ident(:table))
  and not exists (select from pg_constraint c where c.conindid = x.indexrelid
                  and c.conrelid = x.indrelid)
""")

# The sequences of the table's serial and identity columns, named `<table>_<column>_seq`.
_OWNED_SEQUENCES = sa.text("""
select s.relname::text as name, a.attname::text as column
from pg_depend d
join pg_class s on s.oid = d.objid and s.relkind = 'S'
join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
  and d.refobjid = to_regclass(quote_ident(:table)) and d.deptype in ('a', 'i')
""")


def rename_tables(connection, directives: list, wanted: list[tuple[str, str]],
                  metadata: sa.MetaData) -> None:
    """Turn each wanted (old, new) table's drop and create into a rename, up and down.

    Raises:
        ConfigError: the models do not drop `old` and create `new`, or they change its
            columns, keys or indexes too (rename it alone first).
    """
    if not wanted:
        return
    if not directives:
        raise ConfigError("--rename given, but the models drop and create no table",
                          hint="rename the model's __tablename__ first")
    script = directives[0]
    top = script.upgrade_ops.ops
    for old, new in wanted:
        if new not in metadata.tables or not (
                any(isinstance(op, ops.DropTableOp) and op.table_name == old for op in top)
                and any(isinstance(op, ops.CreateTableOp) and op.table_name == new
                        for op in top)):
            raise _not_a_rename(old, new)
        names = _followed_names(connection, old, metadata.tables[new])
        _swap(script.upgrade_ops, old, new, [_rename_table(old, new)] + [
            ops.ExecuteSQLOp(_rename(kind, new, a, b)) for kind, a, b in names])
        _swap(script.downgrade_ops, new, old, [
            ops.ExecuteSQLOp(_rename(kind, new, b, a)) for kind, a, b in reversed(names)]
            + [_rename_table(new, old)], said=(old, new))


def _rename_table(old: str, new: str):
    from nivomigrate.quoting import identifier

    return ops.ExecuteSQLOp(f"ALTER TABLE {identifier(old)} RENAME TO {identifier(new)}")


def _rename(kind: str, table: str, old: str, new: str) -> str:
    from nivomigrate.prisma.renames import rename_statement
    from nivomigrate.quoting import identifier

    if kind == "sequence":
        return f"ALTER SEQUENCE {identifier(old)} RENAME TO {identifier(new)}"
    return rename_statement(kind, table, old, new)


def _not_a_rename(old: str, new: str) -> ConfigError:
    return ConfigError(f"--rename {old}:{new}: the models do not drop table {old} and create "
                       f"{new}", hint=f"rename the model's __tablename__ {old!r} to {new!r}, "
                       "then run this again")


def _followed_names(connection, old: str, table: sa.Table) -> list[tuple[str, str, str]]:
    """(kind, old name, new name) of each key and index of `old` whose name the models
    change, matched by kind and columns.

    Raises:
        ConfigError: a key or index of one side has no match on the other.
    """
    before = {(row.kind, row.type, tuple(row.columns)): row.name
              for row in connection.execute(_KEYS_AND_INDEXES, {"table": old})}
    after = _declared(table)
    if set(before) != set(after):
        changed = sorted(before.get(key) or after.get(key) or "?"
                         for key in set(before) ^ set(after))
        raise ConfigError(
            f"--rename {old}:{table.name}: the models change the table's keys or indexes "
            f"too ({', '.join(changed)})",
            hint="rename the table alone in this revision (its keys and indexes as they "
            "were), change them in the next")
    renamed = [(kind, before[(kind, type_, columns)], name)
               for (kind, type_, columns), name in sorted(after.items())
               if name is not None and name != before[(kind, type_, columns)]]
    return renamed + _sequence_names(connection, old, table.name)


def _sequence_names(connection, old: str, new: str) -> list[tuple[str, str, str]]:
    """("sequence", old name, new name) of each sequence of `old`'s serial and identity
    columns named as PostgreSQL names it (what it would name it on `new`), so that the
    table renamed and the table the models create agree."""
    renamed = []
    for row in connection.execute(_OWNED_SEQUENCES, {"table": old}):
        name = f"{new}_{row.column}_seq"
        if row.name == f"{old}_{row.column}_seq" and len(name.encode()) <= 63:
            renamed.append(("sequence", row.name, name))
    return renamed


def _declared(table: sa.Table) -> dict[tuple[str, str, tuple[str, ...]], str | None]:
    """The keys and indexes the models declare on `table`, keyed as the catalog's are."""
    found: dict[tuple[str, str, tuple[str, ...]], str | None] = {}
    for constraint in table.constraints:
        type_ = {sa.PrimaryKeyConstraint: "p", sa.UniqueConstraint: "u",
                 sa.ForeignKeyConstraint: "f"}.get(type(constraint))
        if type_ and constraint.columns:
            columns = tuple(column.name for column in constraint.columns)
            found[("constraint", type_, columns)] = constraint.name
    for index in table.indexes:
        columns = tuple(getattr(e, "name", "") for e in index.expressions)
        found[("index", "u" if index.unique else "i", columns)] = index.name
    return found


def _swap(container, dropped: str, created: str, replacement: list,
          said: tuple[str, str] | None = None) -> None:
    """Put `replacement` where `container` creates table `created`; remove the drop of
    `dropped`, the index builds and drops of both, and the foreign keys of other tables
    dropped and added again only because they name the other table. `said`: the rename as
    the user said it (downgrade says it backwards)."""
    old, new = said or (dropped, created)
    top = container.ops
    create = next((op for op in top if isinstance(op, ops.CreateTableOp)
                   and op.table_name == created), None)
    drop = next((op for op in top if isinstance(op, ops.DropTableOp)
                 and op.table_name == dropped), None)
    if create is None or drop is None:
        raise _not_a_rename(old, new)
    if _columns(drop.to_table()) != _columns(create.to_table()):
        raise ConfigError(f"--rename {old}:{new}: the models change the table's "
                          "columns too", hint="rename the table alone in this revision (its "
                          "columns as they were), change them in the next")
    at = top.index(create)
    top[at:at + 1] = replacement
    top.remove(drop)
    tables = {dropped, created}
    top[:] = [op for op in top if not (isinstance(op, ops.CreateIndexOp | ops.DropIndexOp)
                                       and op.table_name in tables)]
    for group in [op for op in top if isinstance(op, ops.ModifyTableOps)]:
        _keep_foreign_keys(group, tables)
        if not group.ops:
            top.remove(group)


def _keep_foreign_keys(group, tables: set[str]) -> None:
    """Remove each foreign key of `group` dropped and added again onto one of `tables`."""
    added = {op.constraint_name: op for op in group.ops
             if isinstance(op, ops.CreateForeignKeyOp) and op.referent_table in tables}
    dropped = [op for op in group.ops if isinstance(op, ops.DropConstraintOp)
               and op.constraint_name in added]
    for op in dropped:
        group.ops.remove(op)
        group.ops.remove(added[op.constraint_name])


def _columns(table: sa.Table) -> set[tuple[str, str]]:
    from sqlalchemy.dialects import postgresql

    return {(column.name, str(column.type.compile(dialect=postgresql.dialect())))
            for column in table.columns}
