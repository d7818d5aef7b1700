"""Indexes and table constraints, scripted from two catalogs.

Indexes are made by PostgreSQL's own `pg_get_indexdef`: a partitioned table's index is created
ON ONLY the parent, each partition's index is created and then ATTACHed to it (as pg_dump
does), so that the parent's index is valid and every index keeps the target's name. An index
that backs a constraint (primary key, unique, exclusion) is the constraint's: its ADD
CONSTRAINT makes it, its DROP CONSTRAINT drops it. Indexes of materialized views are
`script_selectables`'.

Constraints (CHECK, FOREIGN KEY, UNIQUE, PRIMARY KEY, EXCLUDE) are added by their
`pg_get_constraintdef` definition, which keeps NOT VALID when the target's is not validated
(and a constraint that only becomes validated is VALIDATEd); a partitioned table's key made
on the parent makes its partitions' (and a constraint a partition or child inherits is never
scripted on its own). Keys are added before checks and foreign keys (a foreign key needs the
referenced key); foreign keys are dropped before the other constraints, and those before the
indexes (a foreign key may use a unique index).

Placement: drops of constraints go before every other drop (`drops`), drops of indexes after
the other drops (`before_tables`, before the tables and columns change); creations go after
the tables and columns are made (`created`), indexes first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.placement import (
    Placed,
    changes_of,
    in_schema,
    on_table,
    relations,
    type_name,
)
from nivomigrate.quoting import identifier

if TYPE_CHECKING:
    from nivomigrate.catalog import Catalog, Row

_KEY_TYPES = ("p", "u", "x")  # constraints that make (and own) an index
_NOT_VALID = " NOT VALID"


def _backing(catalog: Catalog) -> set[tuple[str, str]]:
    """The (table, index name) of the indexes that back a constraint (same name, same table)."""
    known = relations(catalog)
    found = set()
    for name, row in catalog.of("constraint").items():
        if row.attributes["type"] in _KEY_TYPES:
            schema, table, own = on_table(name, known)
            found.add((f"{schema}.{table}", own))
    return found


def _own_indexes(catalog: Catalog, *catalogs: Catalog) -> dict[str, Row]:
    """The indexes scripted here: not a constraint's, not a materialized view's."""
    views = set(catalog.of("materialized view"))
    keys = _backing(catalog)
    return {name: row for name, row in catalog.of("index").items()
            if row.attributes["table"] not in views
            and (row.attributes["table"], in_schema(name, *catalogs)[1]) not in keys}


def _parents(catalog: Catalog) -> dict[tuple[str, str], str]:
    """(schema, index) of a partition's index -> its partitioned index (as regclass writes it)."""
    return {tuple(item.ident[1:]): str(item.value)
            for item in catalog.items.of("index_parent").values()}


def script_indexes(source: Catalog, target: Catalog,
                   remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """DROP the removed or changed indexes, CREATE the new or changed ones, ATTACH each
    partition's index to its partitioned index where it is not attached yet.

    A partition's index attached to a partitioned one is never dropped on its own: the
    parent's drop takes it along (IF EXISTS, last, when it was detached with its partition).
    An index on a relation the script re-creates (`remade`) is created again.
    """
    before, after = _own_indexes(source, source, target), _own_indexes(target, source, target)
    parents_before, parents_after = _parents(source), _parents(target)
    names = {name: in_schema(name, source, target) for name in {*before, *after}}
    changed = {name for name in before.keys() & after.keys()
               if before[name].attributes["definition"] != after[name].attributes["definition"]}
    on_remade = {name for name, row in after.items()
                 if tuple(in_schema(str(row.attributes["table"]), source, target)) in remade}
    made = set()
    for name in sorted(after, key=lambda n: _depth(names[n], parents_after)):
        parent = parents_after.get(names[name])
        if (name not in before or name in changed or name in on_remade) and (
                parent is None or ".".join(type_name(parent)[-2:]) in made):
            made.add(name)  # a partition's index under a kept one: made with its partition
    drops, late = [], []
    for name in sorted((before.keys() - after.keys()) | changed):
        qualified = identifier(*names[name])
        if names[name] in parents_before:  # its parent's drop takes it, or it was detached
            if name not in after:
                late.append(f"drop index if exists {qualified};")
        else:
            drops.append(f"drop index {qualified};")
    created = [f"{after[name].attributes['definition']};"
               for name in sorted(made, key=lambda n: _depth(names[n], parents_after))]
    own_after = {names[name] for name in after}
    made_parts = {names[name] for name in made}
    for child, parent in sorted(parents_after.items()):
        parent_parts = type_name(parent)[-2:]
        if parent_parts in own_after and (parents_before.get(child) != parent
                                          or child in made_parts or parent_parts in made_parts):
            created.append(f"alter index {parent} attach partition {identifier(*child)};")
    return Placed(before_tables=tuple(drops), created=tuple(created), late=tuple(late))


def _depth(index: tuple[str, str], parents: dict[tuple[str, str], str]) -> tuple[int, str]:
    """Sort key: a partitioned index before its partitions' indexes."""
    depth, seen = 0, index
    while seen in parents and depth < 64:
        depth += 1
        seen = type_name(parents[seen])[-2:]
    return depth, ".".join(index)


def script_constraints(source: Catalog, target: Catalog,
                       remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """DROP the removed or changed constraints (foreign keys first, also those of the tables
    the script drops), ADD the new or changed ones (keys, then checks, then foreign keys),
    VALIDATE the ones that only become valid."""
    drops, creations = changes_of(source, target, "constraint", remade,
                                  ("type", "definition"))
    drops += _foreign_keys_on(source, remade)
    onto = _foreign_keys_onto(source, target, remade)
    drops += [found for found in onto[0] if found not in drops]
    creations += [found for found in onto[1] if found not in creations]
    old = {(schema, table, name): row for schema, table, name, row in drops}
    validated = {key for schema, table, name, row in creations
                 for key in [(schema, table, name)] if key in old
                 and old[key].attributes["type"] == row.attributes["type"]
                 and str(old[key].attributes["definition"]).endswith(_NOT_VALID)
                 and str(old[key].attributes["definition"]).removesuffix(_NOT_VALID)
                 == row.attributes["definition"]}
    dropped = [f"alter table {identifier(schema, table)} drop constraint {identifier(name)};"
               for schema, table, name, row in sorted(
                   drops, key=lambda d: (d[3].attributes["type"] != "f", d[:3]))
               if (schema, table, name) not in validated]
    created = []
    for schema, table, name, row in sorted(creations, key=lambda c: (
            _ADD_ORDER.get(str(c[3].attributes["type"]), 1), c[:3])):
        if (schema, table, name) in validated:
            created.append(f"alter table {identifier(schema, table)} validate constraint "
                           f"{identifier(name)};")
        else:
            created.append(f"alter table {identifier(schema, table)} add constraint "
                           f"{identifier(name)} {row.attributes['definition']};")
    return Placed(drops=tuple(dropped), created=tuple(created))


def _foreign_keys_on(source: Catalog, remade: frozenset[tuple[str, str]]) -> list[tuple]:
    """The (schema, table, name, row) of the source's foreign keys on the relations the script
    drops: dropped first, so that the tables they reference can go in any order."""
    if not remade:
        return []
    known = relations(source)
    inherited = {key.split(" ", 1)[1] for key in source.items.of("follower")
                 if key.startswith("constraint ")}
    found = []
    for name, row in sorted(source.of("constraint").items()):
        schema, table, own = on_table(name, known)
        if row.attributes["type"] == "f" and name not in inherited and (schema, table) in remade:
            found.append((schema, table, own, row))
    return found


def _foreign_keys_onto(source: Catalog, target: Catalog,
                       remade: frozenset[tuple[str, str]]) -> tuple[list[tuple], list[tuple]]:
    """The kept foreign keys that reference a table the script drops and re-creates: dropped
    before it goes, added again after it is made (as (schema, table, name, row))."""
    if not remade:
        return [], []
    known = relations(source, target)
    inherited = {key.split(" ", 1)[1] for catalog in (source, target)
                 for key in catalog.items.of("follower") if key.startswith("constraint ")}
    drops, creations = [], []
    for name, item in sorted(source.items.of("fk_references").items()):
        old, new = source.of("constraint").get(name), target.of("constraint").get(name)
        schema, table, own = on_table(name, known)
        if (tuple(item.value or ()) not in remade or old is None or new is None
                or name in inherited or (schema, table) in remade):
            continue
        drops.append((schema, table, own, old))
        creations.append((schema, table, own, new))
    return drops, creations


_ADD_ORDER = {"p": 0, "u": 0, "x": 0, "c": 1, "f": 2}
