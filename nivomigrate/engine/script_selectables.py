"""Views, materialized views (with their indexes), functions and procedures, from two catalogs.

They are scripted together because they use each other (a view over a function, a SQL-standard
function body over a view): each is made after what it uses and dropped before it, in the
order of pg_depend (`items.sql`'s `selectable_uses`). A changed function whose arguments and
result stay is replaced in place (CREATE OR REPLACE, PostgreSQL's own `pg_get_functiondef`);
any other change drops the object and creates it again, and with it every object that uses
it. Objects over a table the rest of the script drops, re-creates or re-types a column of, or
over an enum `script_tables` re-makes, are dropped first and made again after.

Drops go before every other drop (a view before the column it reads), but a routine that goes
for good goes last (a default, check or trigger of a dropped table may call it); creations
go after every other creation, with `check_function_bodies` off (a body in a string may name
what is made after it). Aggregates are not scripted: a differing one is a `-- not scripted:`
line.
"""

from __future__ import annotations

import re
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

_KINDS = ("view", "materialized view", "function", "procedure")
_ROUTINES = ("function", "procedure")


@dataclass(frozen=True)
class _Plan:
    before: dict[str, Row]
    after: dict[str, Row]
    roots: set[str]  # what changes under or in place of the objects dropped
    dropped: set[str]
    created: set[str]
    unscriptable: list[str]


def _plan(source: Catalog, target: Catalog, remade: frozenset[tuple[str, str]]) -> _Plan:
    before, after = _rows(source), _rows(target)
    changed = {key for key in before.keys() & after.keys()
               if _definition(before[key]) != _definition(after[key])}
    replaced = {key for key in changed if key.split(" ", 1)[0] in _ROUTINES
                and _header(source, key) == _header(target, key)}
    # what changes underneath matters only to the source's objects (none: not looked for)
    underneath = _changed_underneath(source, target, remade) if before else set()
    roots = (changed - replaced) | (before.keys() - after.keys()) | underneath
    dropped = _with_dependents(roots, before, _uses(source))
    created = (after.keys() - before.keys()) | (dropped & after.keys()) | replaced
    unscriptable = sorted(key for key in dropped | created
                          if (after.get(key) or before[key]).attributes.get("definition") is None)
    return _Plan(before, after, roots, dropped - set(unscriptable), created - set(unscriptable),
                 unscriptable)


def remade_views(source: Catalog, target: Catalog,
                 remade: frozenset[tuple[str, str]] = frozenset()) -> frozenset[tuple[str, str]]:
    """Return the (schema, name) of the views and materialized views `script_selectables`
    drops and creates again (the triggers on them must be made again too)."""
    plan = _plan(source, target, remade)
    return frozenset(in_schema(plan.before[key].name, source, target)
                     for key in plan.dropped & plan.created
                     if plan.before[key].kind not in _ROUTINES)


def script_selectables(source: Catalog, target: Catalog,
                       remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """Return the drops and creations of the views, materialized views and routines that
    differ, with their dependents, in dependency order (`remade`: the (schema, name) of the
    tables the rest of the script drops and re-creates)."""
    plan = _plan(source, target, remade)
    before, after, roots, dropped, created = (plan.before, plan.after, plan.roots, plan.dropped,
                                              plan.created)
    uses_before, uses_after = _uses(source), _uses(target)
    unscriptable = plan.unscriptable
    # a routine that goes for good goes after the tables (a default, a check or a trigger of
    # a dropped table may call it), but before an enum it takes is renamed to be re-made
    last_drops = {key for key in dropped - after.keys() if key.split(" ", 1)[0] in _ROUTINES
                  and not any(used.startswith("enum ") and used in roots
                              for used in uses_before.get(key, ()))}
    names = _Names(source, target)
    order_before = _ordered(dropped, uses_before)[::-1]  # dependents first
    drops = [names.drop(before[key]) for key in order_before if key not in last_drops]
    late = [names.drop(before[key]) for key in order_before if key in last_drops]
    drops += _index_drops(source, target, dropped)
    creations = []
    for key in _ordered(created, uses_after):
        creations.append(names.create(after[key]))
        if key.startswith("materialized view "):
            creations += _indexes_of(target, key.split(" ", 2)[2])
    creations += _index_creations(source, target, created)
    if any(key.split(" ", 1)[0] in _ROUTINES for key in created):
        creations.insert(0, "set check_function_bodies = off;")
    notes = [f"-- not scripted: {key} differs (an aggregate)" for key in unscriptable]
    return Placed(early=tuple(notes), drops=tuple(drops), created=tuple(creations),
                  late=tuple(late))


def _rows(catalog: Catalog) -> dict[str, Row]:
    return {row.key: row for kind in _KINDS for row in catalog.of(kind).values()}


def _uses(catalog: Catalog) -> dict[str, set[str]]:
    return {key: set(item.value["uses"])
            for key, item in catalog.items.of("selectable_uses").items()}


def _header(catalog: Catalog, key: str) -> object:
    item = catalog.items.of("selectable_uses").get(key)
    return item.value["header"] if item else None


def _definition(row: Row) -> tuple:
    """What a statement of this kind changes: a view's text (spaces aside) and options, a
    routine's whole definition."""
    definition = row.attributes.get("definition")
    if row.kind in _ROUTINES or definition is None:
        return (definition,)
    return re.sub(r"\s+", " ", str(definition)).strip(), row.attributes.get("options")


def _changed_underneath(source: Catalog, target: Catalog,
                        remade: frozenset[tuple[str, str]]) -> set[str]:
    """The keys ("table s.t", "enum s.e") of what changes under the objects that use it: the
    tables dropped, re-made or with a column re-typed, the enums `script_tables` re-makes."""
    known = relations(source, target)
    found = {f"table {schema}.{name}" for schema, name in remade}
    found |= {f"table {name}" for name in source.of("table").keys() - target.of("table").keys()}
    columns_before, columns_after = source.of("column"), target.of("column")
    remade_enums = {in_schema(name, source, target) for name, row in source.of("enum").items()
                    if name in target.of("enum") and not labels_added(
                        row.attributes["labels"] or [],
                        target.of("enum")[name].attributes["labels"] or [])}
    found |= {f"enum {schema}.{name}" for schema, name in remade_enums}
    for name, column in columns_before.items():
        new = columns_after.get(name)
        retyped = new is not None and (new.attributes["type"] != column.attributes["type"]
                                       or new.attributes.get("generated")
                                       != column.attributes.get("generated"))
        of_enum = bool(remade_enums) and \
            type_name(str(column.attributes["type"]))[-2:] in remade_enums
        if retyped or of_enum:
            schema, table, _ = on_table(name, known)
            found.add(f"table {schema}.{table}")
    return found


def _with_dependents(roots: set[str], rows: Mapping[str, Row],
                     uses: Mapping[str, set[str]]) -> set[str]:
    """Return the keys of `rows` in `roots` or using (in turn) something in `roots`."""
    found = roots & rows.keys()
    reached = set(roots)
    while True:
        more = {key for key in rows.keys() - found if uses.get(key, set()) & reached}
        if not more:
            return found
        found |= more
        reached |= more


def _ordered(keys: set[str], uses: Mapping[str, set[str]]) -> list[str]:
    """Return `keys` with what each uses (among them) first, by name where free."""
    done: list[str] = []
    placed: set[str] = set()
    waiting = sorted(keys)
    while waiting:
        ready = [key for key in waiting if not (uses.get(key, set()) & keys) - placed - {key}]
        if not ready:  # a cycle pg_depend cannot hold: keep the names' order
            ready = waiting[:1]
        for key in ready:
            done.append(key)
            placed.add(key)
        waiting = [key for key in waiting if key not in placed]
    return done


class _Names:
    """Qualified names and statements of the catalogs' views and routines."""

    def __init__(self, source: Catalog, target: Catalog) -> None:
        self.catalogs = (source, target)
        self.routines = {f"{item.ident[1]}.{item.ident[2]}({item.ident[3]})": item.ident[1:]
                         for catalog in self.catalogs for item in catalog.items.of("acl").values()
                         if item.ident and item.ident[0] == "func"}

    def drop(self, row: Row) -> str:
        if row.kind in _ROUTINES:
            schema, name, arguments = self.routine(row.name)
            return f"drop {row.kind} if exists {identifier(schema, name)}({arguments});"
        return f"drop {row.kind} if exists {identifier(*in_schema(row.name, *self.catalogs))};"

    def create(self, row: Row) -> str:
        definition = str(row.attributes["definition"]).strip().rstrip(";").rstrip()
        if row.kind in _ROUTINES:
            return f"{str(row.attributes['definition']).rstrip()};"
        options = row.attributes.get("options") or {}
        with_options = (" with (" + ", ".join(f"{identifier(name)} = {literal(str(value))}"
                                              for name, value in sorted(options.items())) + ")"
                        if options else "")
        name = identifier(*in_schema(row.name, *self.catalogs))
        return f"create {row.kind} {name}{with_options} as\n{definition};"

    def routine(self, signature: str) -> tuple[str, str, str]:
        if signature in self.routines:
            return self.routines[signature]
        schema, rest = in_schema(signature, *self.catalogs)
        name, _, arguments = rest.partition("(")
        return schema, name, arguments.removesuffix(")")


def _mview_indexes(catalog: Catalog) -> dict[str, Row]:
    """The indexes of materialized views by name (they are scripted with their view)."""
    views = set(catalog.of("materialized view"))
    return {name: row for name, row in catalog.of("index").items()
            if row.attributes["table"] in views}


def _indexes_of(catalog: Catalog, view: str) -> list[str]:
    return [f"{row.attributes['definition']};" for _, row in sorted(catalog.of("index").items())
            if row.attributes["table"] == view]


def _index_drops(source: Catalog, target: Catalog, dropped: set[str]) -> list[str]:
    """Drop the changed or removed indexes of the materialized views that stay."""
    after = _mview_indexes(target)
    return [f"drop index {identifier(*in_schema(name, source, target))};"
            for name, row in sorted(_mview_indexes(source).items())
            if f"materialized view {row.attributes['table']}" not in dropped
            and (name not in after or after[name].attributes["definition"]
                 != row.attributes["definition"])]


def _index_creations(source: Catalog, target: Catalog, created: set[str]) -> list[str]:
    """Create the new or changed indexes of the materialized views that stay."""
    before = _mview_indexes(source)
    return [f"{row.attributes['definition']};"
            for name, row in sorted(_mview_indexes(target).items())
            if f"materialized view {row.attributes['table']}" not in created
            and (name not in before or before[name].attributes["definition"]
                 != row.attributes["definition"])]
