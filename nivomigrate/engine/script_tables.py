"""Tables and columns, scripted from two catalogs.

Written from the catalog's `table` and `column` rows and the diff's items (`items.sql`: each
table's own columns in order, the columns a child only inherits, inheritance parents, identity
sequences), every name through `quoting.identifier`; types, collations, defaults, generation
expressions, partition keys and bounds are PostgreSQL's own text (`format_type`, `pg_get_expr`,
`pg_get_partkeydef`, as the catalog reads them with search_path = pg_catalog).

Everything goes in `Placed.tables` (after the drops of what uses the tables, before what is
made on them), in this order:

1. an enum that loses or reorders labels is re-made: the old one renamed
   (`<name>__old_version_to_be_dropped`), the new one created;
2. partitions that change parent or bound are detached, inheritance parents left (NO INHERIT);
3. tables dropped, children first: the removed ones and the re-made ones (partitioned that
   become plain or the reverse, another partition key, and the partitions their drop takes
   along); a partition whose parent goes is taken by its parent's drop;
4. tables created, parents first: UNLOGGED, the columns in the target's order (type,
   collation, identity with its sequence's name where PostgreSQL would choose another,
   generation expression or default, NOT NULL), INHERITS, PARTITION BY, PARTITION OF ... FOR
   VALUES;
5. each kept table: SET LOGGED/UNLOGGED, its columns dropped, added (in the target's order),
   altered (identity dropped, expression dropped, default, NOT NULL set, identity added or
   changed, NOT NULL dropped, type with USING, through text between enums; a re-made enum's
   columns re-typed, their default dropped and set again), then the columns whose generation
   expression changes dropped and added again (so they come last);
6. partitions attached and inheritance parents joined (INHERIT), once the columns match;
7. the old versions of the re-made enums dropped.

A column a child only inherits is left to its parent's statements, which reach it. A renamed
identity sequence is renamed (`early`); its options are `diff_catalog`'s. Foreign tables are
not scripted: a difference of one is a `-- not scripted:` line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.engine.placement import (
    Placed,
    in_schema,
    labels_added,
    on_table,
    relations,
    type_name,
)
from nivomigrate.quoting import identifier, literal

if TYPE_CHECKING:
    from nivomigrate.catalog import Catalog, Row

_OLD_ENUM = "__old_version_to_be_dropped"
_NAME_BYTES = 63  # NAMEDATALEN - 1: longer names are truncated by PostgreSQL


@dataclass(frozen=True)
class _Side:
    """One catalog's tables and their columns, by name."""

    catalog: Catalog
    tables: Mapping[str, Row]
    columns: Mapping[str, dict[str, Row]]  # "schema.table" -> column name -> row
    inherited: Mapping[str, bool]  # "schema.table.column" a child inherits -> declared too
    parents: Mapping[str, tuple[str, ...]]  # "schema.table" -> its partition or inheritance parents
    enums: frozenset[tuple[str, str]]  # (schema, name) of the enums

    def partition_of(self, table: str) -> str | None:
        parent = self.tables[table].attributes.get("partition_of")
        return ".".join(type_name(str(parent))[-2:]) if parent else None

    def partition(self, table: str) -> tuple[str | None, object]:
        return self.partition_of(table), self.tables[table].attributes.get("partition_bound")

    def inherits(self, table: str) -> tuple[str, ...]:
        return () if self.partition_of(table) else self.parents.get(table, ())

    def inherits_only(self, table: str, column: str) -> bool:
        return self.inherited.get(f"{table}.{column}") is False

    def order(self, table: str) -> list[str]:
        """The table's own columns in their order, then the others by name."""
        item = self.catalog.items.of("column_order").get(table)
        own = [str(column) for column in (item.value if item and item.value else [])]
        return own + sorted(set(self.columns.get(table, {})) - set(own))


def _side(catalog: Catalog, known: dict[str, tuple[str, str]], columns: bool = True) -> _Side:
    by_table: dict[str, dict[str, Row]] = {}
    for name, row in catalog.of("column").items() if columns else ():
        schema, table, column = on_table(name, known)
        by_table.setdefault(f"{schema}.{table}", {})[column] = row
    parents = {key: tuple(f"{schema}.{table}" for schema, table in item.value or ())
               for key, item in catalog.items.of("inherits").items()}
    tables = catalog.of("table")
    for name, row in tables.items():
        if row.attributes.get("partition_of"):
            parents[name] = (".".join(type_name(str(row.attributes["partition_of"]))[-2:]),)
    inherited = {key: bool(item.value)
                 for key, item in catalog.items.of("inherited_column").items()}
    enums = frozenset(in_schema(name, catalog) for name in catalog.of("enum"))
    return _Side(catalog, tables, by_table, inherited, parents, enums)


@dataclass(frozen=True)
class _Sides:
    before: _Side
    after: _Side
    known: dict[str, tuple[str, str]]
    foreign: frozenset[str]  # tables that are foreign on either side: not scripted

    def quoted(self, table: str) -> str:
        return identifier(*(self.known.get(table) or in_schema(table, self.before.catalog,
                                                               self.after.catalog)))

    def kept(self, remade: set[str]) -> list[str]:
        both = self.before.tables.keys() & self.after.tables.keys()
        return sorted(both - remade - self.foreign)

    def follows_parent(self, table: str) -> bool:
        """Whether the table stays under the same parents (their column changes reach it)."""
        return bool(self.after.parents.get(table)) and \
            self.before.parents.get(table) == self.after.parents.get(table) and \
            self.before.partition(table) == self.after.partition(table)


def _sides(source: Catalog, target: Catalog, columns: bool = True) -> _Sides:
    known = relations(source, target)
    foreign = frozenset(name for catalog in (source, target)
                        for name, row in catalog.of("table").items()
                        if row.attributes.get("kind") == "f")
    return _Sides(_side(source, known, columns), _side(target, known, columns), known, foreign)


def remade_tables(source: Catalog, target: Catalog) -> frozenset[tuple[str, str]]:
    """Return the (schema, name) of the tables the script drops and creates again."""
    sides = _sides(source, target, columns=False)
    return frozenset(sides.known.get(name) or in_schema(name, source, target)
                     for name in _remade(sides))


def _remade(sides: _Sides) -> set[str]:
    """Tables on both sides that cannot be altered into the target's: partitioned that become
    plain or the reverse, another partition key; then the partitions their drop takes along."""
    before, after = sides.before, sides.after
    both = (before.tables.keys() & after.tables.keys()) - sides.foreign
    remade = {name for name in both if _shape(before.tables[name]) != _shape(after.tables[name])}
    while more := {name for name in both - remade if before.partition_of(name) in remade
                   and before.partition(name) == after.partition(name)}:
        remade |= more
    return remade


def _shape(table: Row) -> tuple:
    return table.attributes.get("kind"), table.attributes.get("partition_key")


def script_tables(source: Catalog, target: Catalog,
                  remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """Return the statements that turn the source's tables and columns into the target's
    (`remade` is not needed: the tables this script re-makes are `remade_tables`)."""
    sides = _sides(source, target)
    remade_here = _remade(sides)
    enums = _remade_enums(source, target)
    kept = sides.kept(remade_here)
    statements = [s for schema, name in enums for s in (
        f"alter type {identifier(schema, name)} rename to {identifier(name + _OLD_ENUM)};",
        _create_enum(schema, name, target))]
    statements += [s for name in kept for s in _detached(sides, name)]
    statements += _drops(sides, remade_here)
    statements += _creations(sides, remade_here)
    parents_first = sorted(kept, key=lambda name: (_depth(name, sides.after.parents), name))
    statements += [s for name in parents_first for s in _table_changes(sides, name, enums)]
    statements += [s for name in kept for s in _attached(sides, name)]
    statements += [f"drop type {identifier(schema, name + _OLD_ENUM)};" for schema, name in enums]
    return Placed(early=tuple(_foreign_notes(sides) + _renamed_identity_sequences(sides, kept)),
                  tables=tuple(statements))


def _remade_enums(source: Catalog, target: Catalog) -> list[tuple[str, str]]:
    """The (schema, name) of the enums that lose or reorder labels (ADD VALUE cannot)."""
    before, after = source.of("enum"), target.of("enum")
    return sorted(in_schema(name, source, target) for name, row in after.items()
                  if name in before and not labels_added(before[name].attributes["labels"] or [],
                                                         row.attributes["labels"] or []))


def _create_enum(schema: str, name: str, target: Catalog) -> str:
    labels = target.of("enum")[f"{schema}.{name}"].attributes["labels"] or []
    return f"create type {identifier(schema, name)} as enum ({', '.join(map(literal, labels))});"


def _detached(sides: _Sides, table: str) -> list[str]:
    """DETACH PARTITION from a parent or bound that changes, NO INHERIT from parents left."""
    before, after = sides.before, sides.after
    statements = []
    parent = before.partition_of(table)
    if parent and before.partition(table) != after.partition(table):
        statements.append(f"alter table {sides.quoted(parent)} detach partition "
                          f"{sides.quoted(table)};")
    statements += [f"alter table {sides.quoted(table)} no inherit {sides.quoted(parent)};"
                   for parent in before.inherits(table) if parent not in after.inherits(table)]
    return statements


def _attached(sides: _Sides, table: str) -> list[str]:
    """ATTACH PARTITION to a new parent or bound, INHERIT the new parents."""
    before, after = sides.before, sides.after
    statements = []
    parent, bound = after.partition(table)
    if parent and before.partition(table) != after.partition(table):
        statements.append(f"alter table {sides.quoted(parent)} attach partition "
                          f"{sides.quoted(table)} {bound};")
    statements += [f"alter table {sides.quoted(table)} inherit {sides.quoted(parent)};"
                   for parent in after.inherits(table) if parent not in before.inherits(table)]
    return statements


def _depth(table: str, parents: Mapping[str, tuple[str, ...]]) -> int:
    """How many parents up the table's family goes (a parent is made before its children)."""
    depth, level = 0, {table}
    while (level := {parent for name in level for parent in parents.get(name, ())}) \
            and depth < 64:
        depth += 1
    return depth


def _drops(sides: _Sides, remade: set[str]) -> list[str]:
    before = sides.before
    gone = ((before.tables.keys() - sides.after.tables.keys()) | remade) - sides.foreign
    taken = {name for name in gone if before.partition_of(name) in gone}
    order = sorted(gone - taken, key=lambda name: (-_depth(name, before.parents), name))
    return [f"drop table {sides.quoted(name)};" for name in order]


def _creations(sides: _Sides, remade: set[str]) -> list[str]:
    after = sides.after
    made = ((after.tables.keys() - sides.before.tables.keys()) | remade) - sides.foreign
    return [_create_table(sides, name)
            for name in sorted(made, key=lambda name: (_depth(name, after.parents), name))]


def _create_table(sides: _Sides, table: str) -> str:
    after = sides.after
    attributes = after.tables[table].attributes
    unlogged = "unlogged " if attributes.get("unlogged") else ""
    partition_by = (f" partition by {attributes['partition_key']}"
                    if attributes.get("partition_key") else "")
    parent, bound = after.partition(table)
    if parent:
        return (f"create {unlogged}table {sides.quoted(table)} partition of "
                f"{sides.quoted(parent)} {bound}{partition_by};")
    columns = after.columns.get(table, {})
    own = [name for name in after.order(table) if not after.inherits_only(table, name)]
    body = ",\n".join(f"    {_definition(sides, table, name, columns[name])}" for name in own)
    inherits = ", ".join(sides.quoted(parent) for parent in after.inherits(table))
    columns_sql = f"\n{body}\n" if body else ""
    inherits_sql = f" inherits ({inherits})" if inherits else ""
    return (f"create {unlogged}table {sides.quoted(table)} ({columns_sql}){inherits_sql}"
            f"{partition_by};")


def _definition(sides: _Sides, table: str, name: str, column: Row) -> str:
    """A column as CREATE TABLE and ADD COLUMN write it."""
    attributes = column.attributes
    parts = [identifier(name), str(attributes["type"])]
    if attributes.get("collation"):
        parts.append(f"collate {attributes['collation']}")
    if attributes.get("identity"):
        parts.append(_identity(sides, table, name, attributes["identity"]))
    if attributes.get("generated") is not None:
        parts.append(f"generated always as ({attributes['generated']}) stored")
    elif attributes.get("default") is not None:
        parts.append(f"default {attributes['default']}")
    if attributes.get("not_null"):
        parts.append("not null")
    return " ".join(parts)


def _identity(sides: _Sides, table: str, column: str, kind: object) -> str:
    """`generated {always|by default} as identity`, with the target's sequence name when
    PostgreSQL would choose another (`<table>_<column>_seq`)."""
    generated = "always" if kind == "a" else "by default"
    item = sides.after.catalog.items.of("identity_sequence").get(f"{table}.{column}")
    schema, name = sides.known.get(table) or in_schema(table, sides.after.catalog)
    chosen = f"{name}_{column}_seq"
    if item is None or (list(item.value) == [schema, chosen]
                        and len(chosen.encode()) <= _NAME_BYTES):
        return f"generated {generated} as identity"
    return f"generated {generated} as identity (sequence name {identifier(*item.value)})"


def _table_changes(sides: _Sides, table: str, enums: list[tuple[str, str]]) -> list[str]:
    """SET LOGGED/UNLOGGED and the column changes of a table on both sides."""
    old, new = sides.before.tables[table].attributes, sides.after.tables[table].attributes
    quoted = sides.quoted(table)
    statements = []
    if bool(old.get("unlogged")) != bool(new.get("unlogged")):
        persistence = "unlogged" if new.get("unlogged") else "logged"
        statements.append(f"alter table {quoted} set {persistence};")
    before, after = sides.before.columns.get(table, {}), sides.after.columns.get(table, {})
    follows = sides.follows_parent(table)
    statements += [f"alter table {quoted} drop column {identifier(column)};"
                   for column in sorted(before) if column not in after
                   and not (follows and sides.before.inherits_only(table, column))]
    statements += [f"alter table {quoted} add column "
                   f"{_definition(sides, table, column, after[column])};"
                   for column in sides.after.order(table) if column not in before
                   and not (follows and sides.after.inherits_only(table, column))]
    remade_columns = []
    for column in sides.after.order(table):
        if column not in before:
            continue
        old_column, new_column = before[column].attributes, after[column].attributes
        if follows and f"{table}.{column}" in sides.before.inherited:
            old_column = _as_parent_leaves_it(sides, table, column, old_column)
        if old_column == new_column and not enums:  # nothing to alter (most columns)
            continue
        if new_column.get("generated") is not None and \
                old_column.get("generated") != new_column.get("generated"):
            remade_columns.append(column)
            continue
        statements += _altered(f"alter table {quoted} alter column {identifier(column)}",
                               old_column, new_column,
                               _through_text(sides, old_column, new_column, enums),
                               _identity(sides, table, column, new_column.get("identity")))
    for column in remade_columns:
        statements += [f"alter table {quoted} drop column {identifier(column)};",
                       f"alter table {quoted} add column "
                       f"{_definition(sides, table, column, after[column])};"]
    return statements


def _as_parent_leaves_it(sides: _Sides, table: str, column: str, old: Mapping) -> Mapping:
    """A child's inherited column as its parent's ALTER COLUMNs leave it (they reach it):
    the type, default and NOT NULL the parent's column changes to."""
    for parent in sides.after.parents.get(table, ()):
        parent_before = sides.before.columns.get(parent, {}).get(column)
        parent_after = sides.after.columns.get(parent, {}).get(column)
        if parent_before is None or parent_after is None:
            continue
        left = dict(old)
        for names in (("type", "collation"), ("default",), ("not_null",)):
            if any(parent_before.attributes.get(name) != parent_after.attributes.get(name)
                   for name in names):
                left.update({name: parent_after.attributes.get(name) for name in names})
        return left
    return old


def _through_text(sides: _Sides, old: Mapping, new: Mapping,
                  enums: list[tuple[str, str]]) -> bool | None:
    """True: re-typed through text (enum to enum); None: not re-typed (a re-made enum's column
    is re-typed even though its type's name stays)."""
    same = (old["type"], old.get("collation")) == (new["type"], new.get("collation"))
    if same and not enums:
        return None
    old_type, new_type = type_name(str(old["type"]))[-2:], type_name(str(new["type"]))[-2:]
    if same and old_type not in enums:
        return None
    return old_type in sides.before.enums and new_type in sides.after.enums


def _altered(prefix: str, old: Mapping, new: Mapping, through_text: bool | None,
             identity: str) -> list[str]:
    """The ALTER COLUMN statements of one column, in the order PostgreSQL accepts them
    (`identity`: the column's identity clause, for ADD)."""
    statements = []
    if old.get("identity") and not new.get("identity"):
        statements.append(f"{prefix} drop identity;")
    if old.get("generated") is not None and new.get("generated") is None:
        statements.append(f"{prefix} drop expression;")
    retyped = through_text is not None
    default_before = old.get("default")
    if retyped and default_before is not None:  # the old default may not cast to the new type
        statements.append(f"{prefix} drop default;")
        default_before = None
    default_set = new.get("default") != default_before
    if default_set and not retyped:
        statements.append(_default(prefix, new.get("default")))
    if new.get("not_null") and not old.get("not_null"):
        statements.append(f"{prefix} set not null;")
    if new.get("identity") and new.get("identity") != old.get("identity"):
        generated = "always" if new["identity"] == "a" else "by default"
        statements.append(f"{prefix} set generated {generated};" if old.get("identity")
                          else f"{prefix} add {identity};")
    if old.get("not_null") and not new.get("not_null"):
        statements.append(f"{prefix} drop not null;")
    if retyped:
        statements.append(_retyped(prefix, new, through_text))
        if default_set:
            statements.append(_default(prefix, new.get("default")))
    return statements


def _default(prefix: str, default: object) -> str:
    return f"{prefix} drop default;" if default is None else f"{prefix} set default {default};"


def _retyped(prefix: str, new: Mapping, through_text: bool) -> str:
    column = prefix.rsplit(" alter column ", 1)[1]
    new_type = str(new["type"])
    text = "text[]" if new_type.endswith("[]") else "text"
    using = f"{column}::{text}::{new_type}" if through_text else f"{column}::{new_type}"
    collate = f" collate {new['collation']}" if new.get("collation") else ""
    return f"{prefix} set data type {new_type}{collate} using {using};"


def _renamed_identity_sequences(sides: _Sides, kept: list[str]) -> list[str]:
    """RENAME an identity column's sequence whose name differs (the rows do not name it)."""
    before = sides.before.catalog.items.of("identity_sequence")
    statements = []
    for key, item in sorted(sides.after.catalog.items.of("identity_sequence").items()):
        old = before.get(key)
        if old is None or list(old.value) == list(item.value) or \
                f"{item.ident[1]}.{item.ident[2]}" not in kept:
            continue
        if old.value[0] != item.value[0]:
            statements.append(f"-- not scripted: the identity sequence of {key} moves from "
                              f"schema {old.value[0]} to {item.value[0]}")
        else:
            statements.append(f"alter sequence {identifier(*old.value)} rename to "
                              f"{identifier(item.value[1])};")
    return statements


def _foreign_notes(sides: _Sides) -> list[str]:
    """`-- not scripted:` lines for the foreign tables that differ."""
    before, after = sides.before, sides.after
    notes = []
    for name in sorted(sides.foreign):
        old, new = before.tables.get(name), after.tables.get(name)
        if old is None or new is None or old.attributes != new.attributes or \
                {c: r.attributes for c, r in before.columns.get(name, {}).items()} != \
                {c: r.attributes for c, r in after.columns.get(name, {}).items()}:
            notes.append(f"-- not scripted: table {name} differs (a foreign table)")
    return notes
