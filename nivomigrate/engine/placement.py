"""What the diff's scripting functions share: where a statement goes, and names read back.

`Placed` is what each scripting function of the kinds table (`diff_kinds.SCRIPTS`) returns.
The catalog keys objects by dotted names ("schema.table.trigger"), whose parts may hold dots
themselves: `in_schema` and `on_table` read them back against the schemas and relations the
catalogs know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nivomigrate.catalog import Catalog

_NAME_PART = re.compile(r'"((?:[^"]|"")*)"|([^."]+)')


@dataclass(frozen=True)
class Placed:
    """Statements by where they go in the script.

    `early`: before every other creation; `drops`: before every other drop (while the tables,
    columns and functions an object uses still exist); `before_tables`: after those drops and
    the domains, before the tables are made or changed (the types their columns use);
    `tables`: the tables and columns dropped, made and changed (`script_tables`), after
    `before_tables`; `created`: after every other creation (when what the object uses
    exists); `late`: after every other drop.
    """

    early: tuple[str, ...] = ()
    late: tuple[str, ...] = ()
    drops: tuple[str, ...] = ()
    created: tuple[str, ...] = ()
    before_tables: tuple[str, ...] = ()
    tables: tuple[str, ...] = ()


def in_schema(name: str, *catalogs: Catalog) -> tuple[str, str]:
    """Return (schema, object) of "schema.object", the schema found in the catalogs (its name
    may hold dots); else the schema ends at the first dot."""
    position = name.find(".")
    while position != -1:
        prefix = name[:position]
        for catalog in catalogs:
            if prefix in catalog.of("schema"):
                return prefix, name[position + 1:]
        position = name.find(".", position + 1)
    schema, _, rest = name.partition(".")
    return schema, rest


def relations(*catalogs: Catalog) -> dict[str, tuple[str, str]]:
    """Return "schema.name" -> (schema, name) for the relations of the catalogs (names whose
    parts hold dots are read back by them)."""
    return {f"{item.ident[1]}.{item.ident[2]}": (item.ident[1], item.ident[2])
            for catalog in catalogs for item in catalog.items.of("acl").values()
            if item.ident and item.ident[0] == "rel"}


def on_table(name: str, known: dict[str, tuple[str, str]]) -> tuple[str, str, str]:
    """Return (schema, table, object) of "schema.table.object", the table found in `known`
    (`relations()`); else the schema ends at the first dot, the object at the last."""
    position = name.find(".")
    while position != -1:
        if name[:position] in known:
            return (*known[name[:position]], name[position + 1:])
        position = name.find(".", position + 1)
    schema, _, rest = name.partition(".")
    table, _, last = rest.rpartition(".")
    return schema, table, last


def type_name(sql_type: str) -> tuple[str, ...]:
    """Return the unquoted parts of a type as `format_type` writes it (`public."e'1"[]` is
    ("public", "e'1")), array brackets and modifiers left out."""
    base = re.sub(r"(\[\])+$", "", sql_type.strip())
    base = re.sub(r"\([^()\"]*\)$", "", base)  # a modifier: numeric(12,2)
    return tuple(quoted.replace('""', '"') if quoted else plain
                 for quoted, plain in _NAME_PART.findall(base))


def labels_added(old: list[str], new: list[str]) -> bool:
    """Whether `new` is `old` with labels added (none removed, none moved): ADD VALUE does it."""
    return [label for label in new if label in old] == list(old)


def _followers(catalog: Catalog, kind: str) -> set[str]:
    """Return the names of `kind` a partition has from its parent (the parent's makes them)."""
    return {key.split(" ", 1)[1] for key in catalog.items.of("follower")
            if key.startswith(f"{kind} ")}


def changes_of(source: Catalog, target: Catalog, kind: str,
               remade: frozenset[tuple[str, str]],
               compared: tuple[str, ...] | None = None) -> tuple[list[tuple], list[tuple]]:
    """Return the (schema, table, name, row) of `kind` to drop and to create, names sorted.

    A row differs when its attributes do (only those `compared`, when given).

    Rows on a table the script drops and re-creates (`remade`) are created again, never
    dropped; a partition's rows made by its parent's are neither.
    """
    before, after = source.of(kind), target.of(kind)
    known = relations(source, target)
    skipped_before, skipped_after = _followers(source, kind), _followers(target, kind)
    drops, creations = [], []
    for name in sorted(set(before) | set(after)):
        old = before.get(name) if name not in skipped_before else None
        new = after.get(name) if name not in skipped_after else None
        schema, table, own = on_table(name, known)
        if (schema, table) in remade:
            old = None
        if old is not None and new is not None and _compared(old, compared) == _compared(
                new, compared):
            continue
        if old is not None:
            drops.append((schema, table, own, old))
        if new is not None:
            creations.append((schema, table, own, new))
    return drops, creations


def _compared(row, names: tuple[str, ...] | None) -> object:
    return row.attributes if names is None else [row.attributes.get(n) for n in names]
