"""Diff two databases: the snapshot differences, and the SQL that turns one into the other.

The SQL is scripted from the two catalogs (`nivomigrate.catalog`, one read-only connection per
side, read at once): `diff_kinds` writes schemas, extensions, collations, enums, composite
types, sequences, tables and columns (`script_tables`), indexes, constraints, views,
materialized views, functions, procedures, triggers and policies; `diff_catalog` writes
privileges, default privileges, comments, options, row level security flags, replica
identities, identity options and domains; each statement placed in dependency order
(`placement.Placed`), every name and string quoted by `nivomigrate.quoting`. No other tool's
output is read or rewritten.

When both sides are equal (the snapshots' objects and the diff's items), nothing is
scripted. Whenever the snapshots differ the SQL is not empty: a difference no statement
covers is named in a `-- not scripted:` comment line.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from nivomigrate import db
from nivomigrate.catalog import Catalog, read_catalog
from nivomigrate.engine import diff_catalog, diff_kinds
from nivomigrate.snapshot import (
    SchemaDiff,
    Snapshot,
    compare_objects,
    snapshot_objects,
    take_snapshot,
)


@dataclass(frozen=True)
class DiffResult:
    """The differences as data, and the SQL that turns the source into the target."""

    snapshot_diff: SchemaDiff
    sql: str

    @property
    def is_empty(self) -> bool:
        return not self.sql.strip() and self.snapshot_diff.is_empty


@dataclass(frozen=True)
class _Side:
    objects: dict  # the snapshot's objects (compared, so no fingerprint is computed)
    catalog: diff_catalog.Catalog  # the diff's items
    rows: Catalog


def diff_schemas(source: db.Target, target: db.Target) -> DiffResult:
    """Compare two databases; the SQL turns `source` into `target` ("" when equal).

    `snapshot_diff` reads as promoting the target onto the source: `added` is only in the
    target, `removed` only in the source.

    Raises:
        DatabaseConnectionError: a database cannot be reached or refuses the login.
        RefusedConnectionError: a URL names a pooler or a replica.
    """
    with _collector_paused():
        # one read-only connection per side, both read at once
        sides = _in_parallel(_read_side, source, target)
        result = _diff(*sides)
        del sides  # freed while the collector is paused, else its first collection scans them
    return result


def _diff(source_side: _Side, target_side: _Side) -> DiffResult:
    if (source_side.objects == target_side.objects
            and source_side.catalog.comparable() == target_side.catalog.comparable()):
        return DiffResult(SchemaDiff(), "")
    schema_diff = compare_objects(target_side.objects, source_side.objects)
    statements = _statements(source_side, target_side, schema_diff)
    unordered = _column_order_differences(schema_diff, source_side.catalog, target_side.catalog)
    return DiffResult(schema_diff, _script(statements, schema_diff, unordered))


def diff_sql(source: db.Target, target: db.Target) -> str:
    """Return the SQL that turns `source` into `target`, drops included; "" when equal."""
    return diff_schemas(source, target).sql


def _in_parallel(work, source, target) -> tuple:
    """Return `(work(source), work(target))`, run in two threads."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(work, source), pool.submit(work, target)]
        return tuple(future.result() for future in futures)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the catalogs are read and compared.

    Their rows (some 100,000 dicts and lists for 1,000 tables) live until the diff ends and
    hold no cycles, yet each collection while they live scans them again: about a fifth of
    the read's CPU time, and 30 ms more for the first collection after the read. Freed when
    the diff returns (by their reference counts), they are never scanned.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def snapshot_of(target: db.Target) -> Snapshot:
    """Snapshot the managed schema of `target` through a read-only connection."""
    with db.connection(target, writes=False) as conn:
        return take_snapshot(conn)


def _read_side(target: db.Target) -> _Side:
    with db.connection(target, writes=False) as conn:
        catalog = read_catalog(conn, items=True)  # the platform's part is left out, never scripted
    return _Side(snapshot_objects(catalog), catalog.items, catalog)


def _statements(source_side: _Side, target_side: _Side, schema_diff: SchemaDiff) -> list[str]:
    """Return the statements of `diff_kinds` and `diff_catalog`, each in its place."""
    source, target = source_side.rows, target_side.rows
    remade = diff_kinds.remade_relations(source, target)
    kinds = diff_kinds.script(source, target, remade)
    created = {*schema_diff.added, *(change.key for change in schema_diff.changed)}
    platform_owned = any(side.rows.platform.owns_default_privileges
                         for side in (source_side, target_side))
    extra = diff_catalog.script(source_side.catalog, target_side.catalog, created,
                                [*kinds.drops, *kinds.before_tables, *kinds.tables],
                                remade, default_privileges=not platform_owned)
    return (extra.first + list(kinds.early) + extra.before_tables + list(kinds.drops)
            + list(kinds.before_tables) + list(kinds.tables) + list(kinds.created)
            + extra.after_all + extra.last + list(kinds.late))


# Snapshot kinds some statement is written for (the kinds table, engine/diff_kinds.py).
_SCRIPTED_KINDS = frozenset(diff_kinds.SCRIPTS)
# Attributes no statement changes: owners (nivomigrate never sets owners).
_UNSCRIPTED_ATTRIBUTES = frozenset({"owner"})


def _not_scripted(schema_diff: SchemaDiff, statements: list[str]) -> list[str]:
    """Comment lines naming the differences no statement covers."""
    if not statements:
        keys = [*schema_diff.added, *schema_diff.removed, *(c.key for c in schema_diff.changed)]
        return [f"-- not scripted: {key} differs" for key in keys]
    lines = [f"-- not scripted: {key} differs (a kind nivomigrate does not script)"
             for key in [*schema_diff.added, *schema_diff.removed]
             if _kind(key) not in _SCRIPTED_KINDS]
    for change in schema_diff.changed:
        attributes = {name for name, _, _ in change.differences}
        if _kind(change.key) not in _SCRIPTED_KINDS:
            lines.append(f"-- not scripted: {change.key} differs (a kind nivomigrate does not "
                         "script)")
        elif attributes & _UNSCRIPTED_ATTRIBUTES:
            names = ", ".join(sorted(attributes & _UNSCRIPTED_ATTRIBUTES))
            lines.append(f"-- not scripted: {change.key}: {names} differs (set it by hand)")
    return lines


def _kind(key: str) -> str:
    return "materialized view" if key.startswith("materialized view ") else key.split(" ", 1)[0]


def _one_line(comment: str) -> str:
    """Keep a `--` comment on its line: a name holding a line break must not end it."""
    return comment.replace("\r", "\\r").replace("\n", "\\n")


def _column_order_differences(schema_diff: SchemaDiff, source: diff_catalog.Catalog,
                              target: diff_catalog.Catalog) -> list[str]:
    """Comment lines naming the tables whose columns the script leaves in another order.

    ALTER TABLE adds a column last and cannot move one: the script keeps the source's columns
    in their order, then adds the new ones, then the re-made ones (a generation expression
    that changes: `script_tables` drops and adds the column).
    """
    remade = {change.key.split(" ", 1)[1] for change in schema_diff.changed
              if change.key.startswith("column ") and any(
                  name == "generated" and wanted is not None
                  for name, wanted, _ in change.differences)}
    lines = []
    for table, item in sorted(target.of("column_order").items()):
        before = source.of("column_order").get(table)
        if before is None:
            continue
        wanted, had = list(item.value or ()), list(before.value or ())  # None: no own columns
        kept = [c for c in had if c in wanted and f"{table}.{c}" not in remade]
        made = [c for c in wanted if c not in had]
        remade_here = [c for c in wanted if f"{table}.{c}" in remade]
        if kept + made + remade_here != wanted:
            lines.append(f"-- not scripted: table {table}: column order differs (wanted: "
                         f"{', '.join(wanted)}); ALTER TABLE cannot move a column")
    return lines


def _script(statements: list[str], schema_diff: SchemaDiff, unordered: list[str]) -> str:
    """Join the statements, after comment lines naming what no statement covers."""
    notes = _not_scripted(schema_diff, statements) + unordered
    seen, unique = set(), []
    for statement in notes + statements:
        text = statement.strip()
        if text.startswith("-- not scripted:"):
            text = _one_line(text)
        if text not in seen:  # two scripts may write one statement (an early function)
            seen.add(text)
            unique.append(text)
    return "\n\n".join(unique) + "\n\n" if unique else ""
