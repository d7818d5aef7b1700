"""The diff's kinds table: which scripting function writes the statements of each object kind.

Every kind the catalog floor reads (`nivomigrate.catalog.KINDS`) has a row here. A kind with
its own function is scripted from the two catalogs' rows, every name and literal through
`nivomigrate.quoting`: schemas, extensions, collations, enums, composite types, sequences,
tables and columns (`script_tables`, with the re-making of an enum that loses or reorders
labels, since it re-types columns), views, materialized views, functions and procedures
(`script_selectables`, one pg_depend graph), indexes and constraints (`script_keys`),
triggers and policies; privileges, default privileges and domains are `diff_catalog`'s
(`CATALOG_ITEMS`). Adding an object kind: one
`catalog/kinds/<kind>.sql`, one row in `catalog.KINDS`, one function and one row here, tests
(docs/architecture.md).

A scripting function takes the source's and the target's catalog, and the relations the rest
of the script drops and re-creates (what is on them must be made again), and returns
`placement.Placed` statements: `early` run before anything else is created (what tables and
types may use), `drops` before any other drop (what uses the columns and functions that go),
`before_tables` after those drops and the domains (the composite types columns use),
`tables` then (the tables and columns), `created` after every other creation (what needs
the tables and functions made), `late` after everything else is dropped (what the dropped
objects used). A changed trigger or policy is dropped and created again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from nivomigrate.engine.placement import (
    Placed,
    changes_of,
    in_schema,
    labels_added,
    type_name,
)
from nivomigrate.engine.script_keys import script_constraints, script_indexes
from nivomigrate.engine.script_selectables import remade_views, script_selectables
from nivomigrate.engine.script_tables import remade_tables, script_tables
from nivomigrate.quoting import identifier, literal, role, unquoted

if TYPE_CHECKING:
    from nivomigrate.catalog import Catalog


def script_schemas(source: Catalog, target: Catalog,
                   remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """CREATE the target's new schemas first, DROP the source's old ones last."""
    before, after = source.of("schema"), target.of("schema")
    return Placed(
        early=tuple(f"create schema if not exists {identifier(name)};"
                    for name in sorted(set(after) - set(before))),
        late=tuple(f"drop schema if exists {identifier(name)};"
                   for name in sorted(set(before) - set(after))))


def script_extensions(source: Catalog, target: Catalog,
                      remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """CREATE, move (SET SCHEMA), update (UPDATE TO) or DROP each differing extension.

    New ones are made early (tables use their types), with the target's version; a dropped
    one goes last, after the columns that used its types.
    """
    before, after = source.of("extension"), target.of("extension")
    early, late = [], []
    for name, row in sorted(after.items()):
        schema, version = row.attributes["schema"], row.attributes["version"]
        old = before.get(name)
        if old is None:
            early.append(f"create extension if not exists {identifier(name)} with schema "
                         f"{identifier(schema)} version {literal(version)};")
            continue
        if old.attributes["schema"] != schema:
            early.append(f"alter extension {identifier(name)} set schema {identifier(schema)};")
        if old.attributes["version"] != version:
            early.append(f"alter extension {identifier(name)} update to {literal(version)};")
    late = [f"drop extension if exists {identifier(name)};"
            for name in sorted(set(before) - set(after))]
    return Placed(tuple(early), tuple(late))


def script_collations(source: Catalog, target: Catalog,
                      remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """CREATE the new collations first (columns and indexes use them), DROP the old ones last.

    A collation cannot be altered, and the columns using it keep it from being dropped: a
    changed one is named in a `-- not scripted:` line.
    """
    before, after = source.of("collation"), target.of("collation")
    early = []
    for name, row in sorted(after.items()):
        old = before.get(name)
        if old is None:
            early.append(_create_collation(identifier(*in_schema(name, source, target)),
                                           row.attributes))
        elif old.attributes != row.attributes:
            early.append(f"-- not scripted: collation {name} differs (a collation cannot be "
                         "altered: re-create it and the columns using it by hand)")
    late = [f"drop collation {identifier(*in_schema(name, source, target))};"
            for name in sorted(set(before) - set(after))]
    return Placed(tuple(early), tuple(late))


def _create_collation(name: str, collation) -> str:
    if collation["provider"] == "i":
        options = f"provider = icu, locale = {literal(collation['icu_locale'] or '')}"
    elif collation["collate"] == collation["ctype"]:
        options = f"provider = libc, locale = {literal(collation['collate'] or '')}"
    else:
        options = (f"provider = libc, lc_collate = {literal(collation['collate'] or '')}, "
                   f"lc_ctype = {literal(collation['ctype'] or '')}")
    deterministic = "" if collation["deterministic"] else ", deterministic = false"
    return f"create collation {name} ({options}{deterministic});"


def script_enums(source: Catalog, target: Catalog,
                 remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """CREATE the new enums first, ADD VALUE (BEFORE or AFTER a kept label) the new labels of
    the others, DROP the old ones last (after the columns and functions that used them).

    An enum that loses or reorders labels is re-made by `script_tables` (renamed, created
    anew, the columns re-typed, the old one dropped), with the columns it re-types. A label
    added is usable only after the script's transaction commits (PostgreSQL's rule).
    """
    before, after = source.of("enum"), target.of("enum")
    early = []
    for name, row in sorted(after.items()):
        qualified = identifier(*in_schema(name, source, target))
        labels, old = row.attributes["labels"] or [], before.get(name)
        if old is None:
            early.append(f"create type {qualified} as enum "
                         f"({', '.join(map(literal, labels))});")
        elif labels_added(old.attributes["labels"] or [], labels):
            early.extend(_added_labels(qualified, old.attributes["labels"] or [], labels))
    late = [f"drop type {identifier(*in_schema(name, source, target))};"
            for name in sorted(set(before) - set(after))]
    return Placed(tuple(early), tuple(late))


def _added_labels(qualified: str, old: list[str], new: list[str]) -> list[str]:
    statements, previous = [], None
    for label in new:
        if label not in old:
            where = (f" after {literal(previous)}" if previous is not None
                     else f" before {literal(old[0])}" if old else "")
            statements.append(f"alter type {qualified} add value {literal(label)}{where};")
        previous = label
    return statements


def script_composite_types(source: Catalog, target: Catalog,
                           remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """CREATE the new composite types before the tables (those they use first), ALTER the
    changed ones there (attributes added last or dropped: ADD/DROP ATTRIBUTE; a re-typed one:
    ALTER ATTRIBUTE ... TYPE), DROP the old ones first (users first), or last when a column
    uses them (after its table).

    A type whose attributes are reordered is dropped and created again; PostgreSQL refuses
    both that and a re-typed attribute while a column or another type uses the type: then the
    change is named in a `-- not scripted:` line.
    """
    before, after = source.of("type"), target.of("type")
    parts = {name: in_schema(name, source, target) for name in {*before, *after}}
    uses_before = {name: _types_used(row, parts) for name, row in before.items()}
    uses_after = {name: _types_used(row, parts) for name, row in after.items()}
    in_columns = {name for name in before for column in source.of("column").values()
                  if type_name(str(column.attributes["type"]))[-2:] == parts[name]}
    # used by a column, or by a type that stays (one that goes is dropped before the changes)
    used = in_columns | {name for name in before if any(
        name in found for user, found in uses_before.items() if user in after)}
    remake, statements = set(), []
    for name in sorted(before.keys() & after.keys()):
        old = [tuple(a) for a in before[name].attributes["attributes"] or []]
        new = [tuple(a) for a in after[name].attributes["attributes"] or []]
        if old == new:
            continue
        kept = [a for a, _ in new if a in dict(old)]
        in_place = kept == [a for a, _ in old if a in dict(new)] and \
            [a for a, _ in new][:len(kept)] == kept
        retyped = [(a, t) for a, t in new if a in dict(old) and dict(old)[a] != t]
        if not in_place or (retyped and name in used):
            if name in used:
                statements.append(f"-- not scripted: type {name}: its attributes change in a way "
                                  "ALTER TYPE cannot while a column or type uses it")
            else:
                remake.add(name)
            continue
        qualified = identifier(*parts[name])
        clauses = [f"drop attribute {identifier(a)}" for a, _ in old if a not in dict(new)]
        clauses += [f"alter attribute {identifier(a)} type {t}" for a, t in retyped]
        clauses += [f"add attribute {identifier(a)} {t}" for a, t in new if a not in dict(old)]
        statements.append(f"alter type {qualified} {', '.join(clauses)};")
    gone = (before.keys() - after.keys()) | remake
    made = (after.keys() - before.keys()) | remake
    dropped = _types_in_order(gone, uses_before)[::-1]  # users first
    creations = [f"create type {identifier(*parts[name])} as ("
                 + ", ".join(f"{identifier(a)} {t}"
                             for a, t in after[name].attributes["attributes"] or [])
                 + ");" for name in _types_in_order(made, uses_after)]
    # a type no column uses goes before the changes; one a column uses, after its table's
    late = {name for name in dropped if name in in_columns and name not in remake}
    return Placed(
        before_tables=tuple([f"drop type {identifier(*parts[name])};"
                             for name in dropped if name not in late] + creations + statements),
        late=tuple(f"drop type {identifier(*parts[name])};" for name in dropped if name in late))


def _types_used(row, parts: dict[str, tuple[str, str]]) -> set[str]:
    """The composite types (of `parts`) the attributes of a composite type's row use."""
    names = {type_name(str(sql_type))[-2:] for _, sql_type in row.attributes["attributes"] or []}
    return {name for name, qualified in parts.items() if qualified in names}


def _types_in_order(names: set[str], uses: dict[str, set[str]]) -> list[str]:
    """Return `names` with the types each uses (among them) first, by name where free."""
    done: list[str] = []
    waiting = sorted(names)
    while waiting:
        ready = [n for n in waiting if not (uses.get(n, set()) & names) - set(done) - {n}]
        done += ready or waiting[:1]
        waiting = [n for n in waiting if n not in done]
    return done


def script_sequences(source: Catalog, target: Catalog,
                     remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """CREATE new sequences first with every option at once (a RESTART below the default
    MINVALUE is refused otherwise), RENAME a renamed one (`_renamed_sequences`), ALTER the
    changed ones' options first, release an owning
    column that changes before any drop (a dropped table would take the sequence along), set
    the new owner after every creation, DROP the old ones last (IF EXISTS: the drop of the
    table owning one took it).

    New bounds that would leave a sequence's current value outside them are refused by ALTER
    SEQUENCE; where the value goes is a data decision, so they are named in a
    `-- not scripted:` line and the other options are still set.
    """
    before, after = source.of("sequence"), target.of("sequence")
    values = source.items.of("sequence_value")
    renamed = _renamed_sequences(source, target)
    early, drops, created = [], [], []
    for name, row in sorted(after.items()):
        qualified, new = identifier(*in_schema(name, source, target)), row.attributes
        was = renamed.get(name, name)
        old = before[was].attributes if was in before else None
        if was != name:
            early.append(f"alter sequence {identifier(*in_schema(was, source, target))} "
                         f"rename to {identifier(in_schema(name, source, target)[1])};")
        if old is None:
            early.append(f"create sequence {qualified} {_sequence_options(new)};")
        elif _options_of(old) != _options_of(new):
            value = values[name].value if name in values else None
            if value is not None and not int(new["min"]) <= int(value) <= int(new["max"]):
                early.append(f"-- not scripted: sequence {name}: its current value {value} lies "
                             f"outside the new bounds {new['min']}..{new['max']} (a data "
                             "decision: setval it within them, then diff again)")
                early.append(f"alter sequence {qualified} "
                             f"{_sequence_options(new, bounds=False)};")
            else:
                early.append(f"alter sequence {qualified} {_sequence_options(new)};")
        owner = old and old["owned_by"]
        if owner != new["owned_by"]:
            if owner:
                drops.append(f"alter sequence {qualified} owned by none;")
            if new["owned_by"]:
                table, _, column = str(new["owned_by"]).rpartition(".")
                created.append(f"alter sequence {qualified} owned by "
                               f"{table}.{identifier(column)};")
    late = [f"drop sequence if exists {identifier(*in_schema(name, source, target))};"
            for name in sorted(set(before) - set(after) - set(renamed.values()))]
    return Placed(tuple(early), tuple(late), tuple(drops), tuple(created))


def _renamed_sequences(source: Catalog, target: Catalog) -> dict[str, str]:
    """new name -> old name of each sequence only in `source` and one only in `target` that
    the same column owns, with the same options, in the same schema: a renamed sequence,
    which keeps its current value (a drop and a create would restart it)."""
    before, after = source.of("sequence"), target.of("sequence")
    gone = {(row.attributes["owned_by"], _options_of(row.attributes),
             in_schema(name, source)[0]): name
            for name, row in before.items() if name not in after and row.attributes["owned_by"]}
    return {name: gone[key] for name, row in after.items() if name not in before
            and (key := (row.attributes["owned_by"], _options_of(row.attributes),
                         in_schema(name, target)[0])) in gone}


_SEQUENCE_OPTIONS = ("type", "increment", "min", "max", "start", "cache", "cycle")


def _options_of(sequence) -> tuple:
    return tuple(sequence[option] for option in _SEQUENCE_OPTIONS)


def _sequence_options(sequence, bounds: bool = True) -> str:
    """The options of CREATE or ALTER SEQUENCE: numbers and a type name PostgreSQL wrote."""
    limits = f"minvalue {int(sequence['min'])} maxvalue {int(sequence['max'])} " if bounds else ""
    return (f"as {sequence['type']} increment by {int(sequence['increment'])} {limits}"
            f"start with {int(sequence['start'])} cache {int(sequence['cache'])} "
            f"{'' if sequence['cycle'] else 'no '}cycle")


# A policy's command as pg_policy.polcmd spells it, and as CREATE POLICY's FOR does.
_POLICY_COMMANDS = {"r": "select", "a": "insert", "w": "update", "d": "delete", "*": "all"}
# A trigger's pg_trigger.tgenabled other than the default "O", as ALTER TABLE sets it.
_TRIGGER_FIRING = {"D": "disable trigger", "R": "enable replica trigger",
                   "A": "enable always trigger"}


def script_policies(source: Catalog, target: Catalog,
                    remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """DROP each removed or changed policy before every other drop, CREATE it after every
    other creation (the columns, functions and roles it names exist by then)."""
    drops, creations = changes_of(source, target, "policy", remade)
    dropped = tuple(f"drop policy {identifier(name)} on {identifier(schema, table)};"
                    for schema, table, name, _ in drops)
    return Placed(drops=dropped, created=tuple(
        _create_policy(schema, table, name, row.attributes)
        for schema, table, name, row in creations))


def _create_policy(schema: str, table: str, name: str, policy) -> str:
    roles = ", ".join("PUBLIC" if found == "public" else role(unquoted(found))
                      for found in policy["roles"] or ["public"])
    using = f" using ({policy['using']})" if policy["using"] else ""
    check = f" with check ({policy['with_check']})" if policy["with_check"] else ""
    kind = "permissive" if policy["permissive"] else "restrictive"
    return (f"create policy {identifier(name)} on {identifier(schema, table)} as {kind} "
            f"for {_POLICY_COMMANDS[policy['command']]} to {roles}{using}{check};")


def script_triggers(source: Catalog, target: Catalog,
                    remade: frozenset[tuple[str, str]] = frozenset()) -> Placed:
    """DROP each removed or changed trigger before every other drop (its function may go),
    CREATE it (PostgreSQL's own `pg_get_triggerdef`) after every other creation, then set how
    it fires when that is not the default (or only that, when nothing else changes)."""
    drops, creations = changes_of(source, target, "trigger", remade)
    before = {row.name: row.attributes["definition"] for *_, row in drops}
    refired = {row.name for *_, row in creations  # kept: only how it fires changes
               if before.get(row.name) == row.attributes["definition"]}
    dropped = tuple(f"drop trigger {identifier(name)} on {identifier(schema, table)};"
                    for schema, table, name, row in drops if row.name not in refired)
    created = []
    for schema, table, name, row in creations:
        if row.name not in refired:
            created.append(f"{row.attributes['definition']};")
        firing = _TRIGGER_FIRING.get(str(row.attributes["enabled"]),
                                     "enable trigger" if row.name in refired else None)
        if firing:
            created.append(f"alter table {identifier(schema, table)} {firing} "
                           f"{identifier(name)};")
    return Placed(drops=dropped, created=tuple(created))


# Who writes each kind's statements: a scripting function, or diff_catalog's item scripts.
CATALOG_ITEMS = "diff_catalog"
SCRIPTS: dict[str, Callable[..., Placed] | str] = {
    "schema": script_schemas,
    "extension": script_extensions,
    "collation": script_collations,
    "enum": script_enums,
    "domain": CATALOG_ITEMS,
    "type": script_composite_types,
    "sequence": script_sequences,
    "table": script_tables,
    "column": script_tables,
    "index": script_indexes,
    "constraint": script_constraints,
    "view": script_selectables,
    "materialized view": script_selectables,
    "function": script_selectables,
    "procedure": script_selectables,
    "trigger": script_triggers,
    "policy": script_policies,
    "grant": CATALOG_ITEMS,
    "default_privileges": CATALOG_ITEMS,
}


def remade_relations(source: Catalog, target: Catalog) -> frozenset[tuple[str, str]]:
    """Return the (schema, name) of the tables and views the script drops and creates again
    (what is on them, their comments and privileges, is made again too)."""
    tables = remade_tables(source, target)
    return tables | remade_views(source, target, tables)


def script(source: Catalog, target: Catalog,
           remade: frozenset[tuple[str, str]] | None = None) -> Placed:
    """Return the statements of every kind scripted here, in the kinds table's order (drops
    in the reverse order).

    `remade`: `remade_relations(source, target)`, when the caller has it already.
    """
    if remade is None:
        remade = remade_relations(source, target)
    placed = [function(source, target, remade)  # each function once (one writes four kinds)
              for function in dict.fromkeys(SCRIPTS.values()) if callable(function)]
    return Placed(early=tuple(s for part in placed for s in part.early),
                  before_tables=tuple(s for part in placed for s in part.before_tables),
                  tables=tuple(s for part in placed for s in part.tables),
                  late=tuple(s for part in reversed(placed) for s in part.late),
                  drops=tuple(s for part in reversed(placed) for s in part.drops),
                  created=tuple(s for part in placed for s in part.created))
