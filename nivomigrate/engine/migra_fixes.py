"""Corrections to migra's statements where migra is wrong, each named after what it fixes.

migra 3.0 (unmaintained) gets these wrong; `engine/diff.py` applies every fix to migra's
statement groups before joining them. Each works on migra's text (always-quoted names, one
statement per string) and on the snapshot/catalog data of both sides, so none needs migra:

- generated columns: a changed expression became `SET DEFAULT` (an error); now drop + add.
- new columns: added sorted by name; now in the target's order.
- table inheritance: a child's create listed the parent's columns as its own, a column added
  to or dropped from a parent was added to or dropped from each child too (an error), `INHERIT`
  came before the columns it needs, and `NO INHERIT` lacked its semicolon.
- partitions: a changed partition bound was ignored (now detach + attach; a new parent's
  ATTACH comes after the columns, migra's DETACH stays).
- a re-made enum's old version: dropped before the other table changes; now after them.
- several triggers on one table, identity columns: migra's statements are right; identity
  sequence options are `diff_catalog`'s.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nivomigrate.quoting import identifier

if TYPE_CHECKING:
    from nivomigrate.engine.diff_catalog import Catalog
    from nivomigrate.snapshot import SchemaDiff, Snapshot

_QUOTED = r'"((?:[^"]|"")*)"'


def relation_names(*catalogs: Catalog) -> dict[str, tuple[str, str]]:
    """Return "schema.name" -> (schema, name) for every relation and type of the catalogs, to
    read back snapshot names whose parts hold dots."""
    return {f"{item.ident[1]}.{item.ident[2]}": (item.ident[1], item.ident[2])
            for catalog in catalogs for item in catalog.of("acl").values()
            if item.ident and item.ident[0] == "rel"}


def split_name(dotted: str, relations: dict[str, tuple[str, str]]) -> tuple[str, ...]:
    """Return the parts of "schema.name[.column]", the relation found in `relations` (its
    parts may hold dots); else split at every dot."""
    if dotted in relations:
        return relations[dotted]
    for position in (i for i, char in enumerate(dotted) if char == "."):
        if dotted[:position] in relations:
            return (*relations[dotted[:position]], dotted[position + 1:])
    return tuple(dotted.split("."))


def quoted(dotted: str, relations: dict[str, tuple[str, str]] | None = None) -> str:
    """Quote every part of "schema.name[.column]" the way migra does."""
    return identifier(*split_name(dotted, relations or {}))


def _names(statement: str) -> list[str]:
    return [name.replace('""', '"') for name in re.findall(_QUOTED, statement)]


def terminated(groups: dict[str, list[str]]) -> None:
    """Give every statement its semicolon (migra's `NO INHERIT` has none)."""
    for statements in groups.values():
        statements[:] = [s.rstrip() if s.rstrip().endswith(";") else s.rstrip() + ";"
                         for s in statements]


def added_columns_in_order(groups: dict[str, list[str]], target: Catalog) -> None:
    """Add a table's new columns in the target's order (migra adds them sorted by name)."""
    tables = groups["tables"]
    adds = [i for i, s in enumerate(tables)
            if re.match(r"alter table .* add column ", s, re.IGNORECASE) and len(_names(s)) >= 3]
    by_table: dict[str, list[int]] = {}
    for i in adds:
        by_table.setdefault(".".join(_names(tables[i])[:2]), []).append(i)
    for table, places in by_table.items():
        order = getattr(target.of("column_order").get(table), "value", None) or []
        position = {column: n for n, column in enumerate(order)}
        statements = sorted((tables[i] for i in places),
                            key=lambda s: position.get(_names(s)[2], len(order)))
        for i, statement in zip(places, statements, strict=True):
            tables[i] = statement


def generated_columns(groups: dict[str, list[str]], schema_diff: SchemaDiff,
                      target: Snapshot, relations: dict[str, tuple[str, str]]) -> None:
    """Replace migra's SET DEFAULT on a column whose generation changed by drop + add."""
    for change in schema_diff.changed:
        kind, _, name = change.key.partition(" ")
        if kind != "column" or "generated" not in {d[0] for d in change.differences}:
            continue
        *table_parts, column = split_name(name, relations)
        table, column_sql = identifier(*table_parts), identifier(column)
        pattern = re.compile(rf'^alter table {re.escape(table)} alter column '
                             rf'{re.escape(column_sql)} (set|drop) default\b', re.IGNORECASE)
        attributes = target.objects[change.key]
        definition = f"{column_sql} {attributes['type']}"
        if attributes.get("generated"):
            definition += f" generated always as ({attributes['generated']}) stored"
        elif attributes.get("default") is not None:
            definition += f" default {attributes['default']}"
        if attributes.get("not_null"):
            definition += " not null"
        groups["tables"][:] = [s for s in groups["tables"] if not pattern.match(s)]
        groups["tables"] += [f"alter table {table} drop column {column_sql};",
                             f"alter table {table} add column {definition};"]


def inheritance(groups: dict[str, list[str]], source: Catalog, target: Catalog) -> None:
    """Keep inherited columns inherited, and INHERIT after the columns it needs."""
    inherited_before = set(source.of("inherited_column"))
    inherited_after = set(target.of("inherited_column"))
    tables = groups["tables"]
    added = [(_names(s), s) for s in tables if re.search(r" add column ", s, re.IGNORECASE)]
    dropped = [(_names(s), s) for s in tables if re.search(r" drop column ", s, re.IGNORECASE)]

    def by_parent(statements, inherited, names) -> bool:
        return ".".join(names[:3]) in inherited and any(
            other[2] == names[2] and other[:2] != names[:2] for other, _ in statements)

    keep = []
    for statement in tables:
        names = _names(statement)
        if re.search(r" add column ", statement, re.IGNORECASE) and len(names) >= 3 \
                and by_parent(added, inherited_after, names):
            continue
        if re.search(r" drop column ", statement, re.IGNORECASE) and len(names) >= 3 \
                and by_parent(dropped, inherited_before, names):
            continue
        if statement.lower().startswith("create table") and " inherits (" in statement:
            statement = _without_inherited_columns(statement, names[:2], inherited_after)
        keep.append(statement)
    inherits = [s for s in keep if re.match(r"alter table .* inherit ", s, re.IGNORECASE)
                and not re.search(r" no inherit ", s, re.IGNORECASE)]
    tables[:] = [s for s in keep if s not in inherits] + inherits


def _without_inherited_columns(statement: str, table: list[str], inherited: set[str]) -> str:
    lines = statement.split("\n")
    kept = [line for line in lines
            if not ((match := re.match(r'^\s+' + _QUOTED + r'\s', line))
                    and ".".join([*table, match.group(1).replace('""', '"')]) in inherited)]
    columns = [i for i, line in enumerate(kept) if re.match(r"^\s+\S", line)]
    if columns:
        kept[columns[-1]] = kept[columns[-1]].rstrip().rstrip(",")
    return "\n".join(kept)


def partitions(groups: dict[str, list[str]], schema_diff: SchemaDiff, source_snapshot: Snapshot,
               target_snapshot: Snapshot, source: Catalog, target: Catalog) -> None:
    """Re-bound changed partitions (detach + attach), each created after its parent."""
    relations = relation_names(source, target)
    for change in schema_diff.changed:
        kind, _, name = change.key.partition(" ")
        changed = {d[0] for d in change.differences}
        if kind != "table" or not changed & {"partition_bound", "partition_of"}:
            continue
        old, new = source_snapshot.objects[change.key], target_snapshot.objects[change.key]
        if old.get("partition_of") and old.get("partition_of") == new.get("partition_of"):
            groups["tables"].append(
                f"alter table {old['partition_of']} detach partition {quoted(name, relations)};")
        if new.get("partition_of"):
            groups["tables"].append(f"alter table {new['partition_of']} attach partition "
                                    f"{quoted(name, relations)} {new['partition_bound']};")
    _partitions_after_parents(groups["tables"])


def _partitions_after_parents(statements: list[str]) -> None:
    """Move each CREATE TABLE ... PARTITION OF after its parent's CREATE TABLE (a parent
    re-made, e.g. partitioned in its turn, is created after migra's new tables)."""
    def creates(statement: str) -> tuple[str, ...] | None:
        lowered = statement.lower()
        return tuple(_names(statement)[:2]) if lowered.startswith("create table") else None

    for child in [s for s in statements if creates(s) and " partition of " in s.lower()]:
        parent = tuple(_names(child)[2:4])
        later = [i for i, s in enumerate(statements) if creates(s) == parent]
        if later and later[-1] > statements.index(child):
            statements.remove(child)
            statements.insert(later[-1], child)


def late_drops(groups: dict[str, list[str]]) -> None:
    """Drop the old versions of re-made enums after every other table change."""
    old_versions = [s for s in groups["tables"] if re.match(r"drop type ", s)
                    and "__old_version_to_be_dropped" in s]
    groups["tables"][:] = [s for s in groups["tables"] if s not in old_versions] + old_versions
