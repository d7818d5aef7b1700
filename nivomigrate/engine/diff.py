"""Diff two databases: the snapshot differences, and the SQL that turns one into the other.

The only importer of migra and schemainspect in nivomigrate (unmaintained upstream, so kept
replaceable): migra writes the statements for tables and columns (what `migra --unsafe`
prints, drops included), restricted to the managed schemas and without the migration ledgers,
and re-makes an enum that loses or reorders labels (with the columns using it); `diff_kinds`
scripts schemas, extensions, collations, enums, composite types, sequences, indexes,
constraints, views, materialized views, functions, procedures, triggers and policies from the
two catalogs; `diff_catalog` writes privileges, default privileges, comments, options, row
level security flags, replica identities, identity options and domains; all placed among
migra's statements in dependency order.

Both sides are read at once (snapshot + catalog items, one connection each); when both are
equal, migra is not even imported. Otherwise migra's inspection is pruned to the tables that
differ plus every table that takes part in inheritance, and reads no index, constraint, view,
composite type, routine, sequence, trigger, policy nor dependency; if migra still fails on the
pruned inspection, the diff falls back to a full one. Whenever the snapshots differ the SQL is
not empty: a difference no statement covers is named in a `-- not scripted:` comment line.
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import db
from nivomigrate.catalog import DEFAULT_EXCLUDED, EXCLUDED_TABLES, Catalog, read_catalog
from nivomigrate.engine import diff_catalog, diff_kinds, migra_fixes, migra_objects
from nivomigrate.quoting import identifier, literal
from nivomigrate.snapshot import (
    SchemaDiff,
    Snapshot,
    compare,
    snapshot_of_catalog,
    take_snapshot,
)

if TYPE_CHECKING:
    import psycopg
    from schemainspect.pg import PostgreSQL as Inspector

# The collections of a schemainspect inspector that migra reads (schemainspect's PROPS).
_INSPECTED = ("schemas", "relations", "tables", "views", "functions", "selectables", "sequences",
              "constraints", "indexes", "enums", "extensions", "privileges", "collations",
              "triggers", "rlspolicies", "composite_types", "domains", "materialized_views")
_LEDGER_TABLES = tuple(name.split(".", 1)[1] for name in sorted(EXCLUDED_TABLES))
_LEDGER_STATEMENT = re.compile(
    r'(?<![\w$])("?)(' + "|".join(map(re.escape, _LEDGER_TABLES)) + r')\1(?![\w$])', re.IGNORECASE)


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
    conn: psycopg.Connection
    snapshot: Snapshot
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
    connections: list = []
    try:
        # one read-only connection per side, opened at once, for the snapshot and migra's reads
        source_side, target_side = _in_parallel(
            lambda side: _read_side(side, connections), source, target)
        return _diff(source_side, target_side)
    finally:
        for conn in connections:
            conn.close()


def _diff(source_side: _Side, target_side: _Side) -> DiffResult:
    if (source_side.snapshot.fingerprint == target_side.snapshot.fingerprint
            and source_side.catalog.comparable() == target_side.catalog.comparable()):
        return DiffResult(SchemaDiff(), "")
    schema_diff = compare(target_side.snapshot, source_side.snapshot)
    relations = migra_fixes.relation_names(source_side.catalog, target_side.catalog)
    tables = _touched_tables(schema_diff, relations, source_side.snapshot,
                             target_side.snapshot) | \
        diff_catalog.needed_tables(source_side.catalog, target_side.catalog)
    try:
        statements = _statements(source_side, target_side, schema_diff, tables)
    except (AttributeError, KeyError, TypeError):
        # A pruned inspection migra cannot resolve: inspect everything (slower, never wrong).
        statements = _statements(source_side, target_side, schema_diff, None)
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


def snapshot_of(target: db.Target) -> Snapshot:
    """Snapshot the managed schema of `target` through a read-only connection."""
    with db.connection(target, writes=False) as conn:
        return take_snapshot(conn)


def _read_side(target: db.Target, connections: list) -> _Side:
    conn = db.connect(target, writes=False)
    connections.append(conn)
    catalog = read_catalog(conn, items=True)  # the platform's part is left out, never scripted
    return _Side(conn, snapshot_of_catalog(catalog), catalog.items, catalog)


def _touched_tables(schema_diff: SchemaDiff, relations: dict[str, tuple[str, str]],
                    *snapshots: Snapshot) -> frozenset[str]:
    """Return the "schema.table" names whose relations migra must see.

    Those of every differing table and column, and of the columns whose type is a differing
    enum, domain or composite type (indexes and constraints are diff_kinds').
    """
    keys = [*schema_diff.added, *schema_diff.removed, *(c.key for c in schema_diff.changed)]
    tables, types = set(), set()
    for key in keys:
        kind, _, name = key.partition(" ")
        if kind == "table":
            tables.add(name)
        elif kind == "column":
            tables.add(".".join(migra_fixes.split_name(name, relations)[:2]))
        elif kind in {"enum", "domain", "type"}:
            types.add(name)
    if types:
        for snapshot in snapshots:
            for key, attributes in snapshot.objects.items():
                column_type = str(attributes.get("type", "")).replace('"', "").removesuffix("[]")
                if key.startswith("column ") and column_type in types:
                    tables.add(".".join(migra_fixes.split_name(key.split(" ", 1)[1],
                                                               relations)[:2]))
    return frozenset(tables)


def _statements(source_side: _Side, target_side: _Side, schema_diff: SchemaDiff,
                tables: frozenset[str] | None) -> list[str]:
    """Return migra's statements with diff_catalog's in their places (`tables` None: all)."""
    source_inspector, target_inspector = _in_parallel(
        lambda side: _inspect(side, tables), source_side, target_side)
    _enums_left_to_migra(source_inspector, target_inspector)
    changes = _migra_changes(source_inspector, target_inspector)
    _correct(changes, schema_diff, source_side, target_side)
    created = {*schema_diff.added, *(change.key for change in schema_diff.changed)}
    migra_statements = [s for part in changes.values() for s in part]
    remade = diff_catalog.dropped_objects(migra_statements)
    kinds = diff_kinds.script(source_side.rows, target_side.rows, frozenset(
        (ident[1], ident[2]) for ident in remade if ident[0] == "rel"))
    platform_owned = any(side.snapshot.platform.owns_default_privileges
                         for side in (source_side, target_side))
    extra = diff_catalog.script(source_side.catalog, target_side.catalog, created,
                                migra_statements + list(kinds.drops)
                                + list(kinds.before_tables),
                                default_privileges=not platform_owned)
    return (extra.first + list(kinds.early) + changes["early"] + extra.before_tables
            + list(kinds.drops) + changes["drops"] + list(kinds.before_tables)
            + changes["tables"] + changes["creations"] + list(kinds.created)
            + extra.after_all + extra.last + changes["late"] + list(kinds.late))


def _correct(changes: dict[str, list[str]], schema_diff: SchemaDiff, source_side: _Side,
             target_side: _Side) -> None:
    """Apply each of `migra_fixes` to migra's statement groups, in place."""
    migra_fixes.terminated(changes)
    relations = migra_fixes.relation_names(source_side.catalog, target_side.catalog)
    migra_fixes.added_columns_in_order(changes, target_side.catalog)
    migra_fixes.generated_columns(changes, schema_diff, target_side.snapshot, relations)
    migra_fixes.inheritance(changes, source_side.catalog, target_side.catalog)
    migra_fixes.partitions(changes, schema_diff, source_side.snapshot, target_side.snapshot,
                           source_side.catalog, target_side.catalog)
    migra_fixes.late_drops(changes)


def _enums_left_to_migra(source: Inspector, target: Inspector) -> None:
    """Show migra the enums `diff_kinds` alters (labels added) with the target's labels on
    both sides, so that it re-makes only those that lose or reorder labels (with the columns
    and views that use them, still migra's)."""
    for key, enum in source.enums.items():
        new = target.enums.get(key)
        if new is not None and diff_kinds.labels_added(enum.elements, new.elements):
            enum.elements = list(new.elements)  # the columns of this type hold this object


def _migra_changes(source: Inspector, target: Inspector) -> dict[str, list[str]]:
    """Run migra's changes in `Migration.add_all_changes`'s order, split where ours go in.

    Only tables, columns and the re-making of enums are migra's: `diff_kinds` scripts the
    rest from the catalogs.
    """
    from migra.changes import Changes

    changes = Changes(source, target)
    parts = {
        "early": [],
        "drops": [],
        "tables": [changes.tables_only_selectables()],
        "creations": [],
        "late": [],
    }
    return {name: [statement for group in groups for statement in group
                   if statement.strip() and not _LEDGER_STATEMENT.search(statement)]
            for name, groups in parts.items()}


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
    in their order, then adds the new ones, then the re-made (generated) ones.
    """
    remade = {key.split(" ", 1)[1] for change in schema_diff.changed
              for key in [change.key] if key.startswith("column ")
              and "generated" in {name for name, _, _ in change.differences}}
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
        if text not in seen:  # migra and early creations may both write one function
            seen.add(text)
            unique.append(text)
    return "\n\n".join(unique) + "\n\n" if unique else ""


def _inspect(side: _Side, tables: frozenset[str] | None) -> Inspector:
    """Inspect through `conn` with schemainspect: every object, but only `tables` among tables.

    The relations, indexes and constraints of other tables are the slow part of migra's
    inspection (90% of it on a thousand tables) and cannot differ, so they are not read.
    `tables` None inspects every table. schemainspect runs on the plain psycopg connection
    (its "raw" mode), so SQLAlchemy is not needed.
    """
    from psycopg.rows import namedtuple_row

    with side.conn.transaction():
        cursor = side.conn.cursor(row_factory=namedtuple_row)
        inspector = _pruned_inspector_class()(_RawConnection(cursor), tables)
    _keep_managed(inspector, side.snapshot)
    migra_objects.corrected(
        inspector, import_schemainspect().obj,
        {key: item.value for key, item in side.catalog.of("partition_key").items()},
        {name: str(row.attributes["collation"]) for name, row in side.rows.of("column").items()
         if row.attributes.get("collation")})
    return inspector


class _RawConnection:
    """What schemainspect's raw mode reads of a psycopg2 cursor, over a psycopg 3 cursor."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor
        self.connection = self
        self.server_version = cursor.connection.info.server_version

    def execute(self, query: str) -> None:
        self.cursor.execute(query)

    def fetchall(self) -> list:
        return self.cursor.fetchall()


@functools.cache
def _pruned_inspector_class() -> type:
    PostgreSQL = import_schemainspect().PostgreSQL

    class PrunedInspector(PostgreSQL):
        def __init__(self, conn, tables: frozenset[str] | None) -> None:
            self.pruned_tables = sorted(tables) if tables is not None else None
            super().__init__(conn)

        def load_privileges(self) -> None:
            self.privileges = {}  # migra scripts none (diff_catalog does): not read

        def load_deps(self) -> None:
            # schemainspect's relations query writes a partition's parent as '"' || schema ||
            # '"."' || name || '"', a `"` inside the name not doubled: that key names no
            # relation (KeyError) and the PARTITION OF clause would not parse; quoted again
            for relation in self.relations.values():
                parent = relation.parent_table
                if parent and parent not in self.relations:
                    relation.parent_table = identifier(*parent[1:-1].split('"."', 1))
            super().load_deps()

        def execute(self, query, *args, **kwargs):
            # migra reads neither `types` nor `domains`, and scripts no indexes, constraints,
            # sequences, triggers, policies, views nor routines (diff_kinds does), so no
            # dependencies of theirs
            unread = {id(self.TYPES_QUERY), id(self.DOMAINS_QUERY), id(self.TRIGGERS_QUERY),
                      id(self.RLSPOLICIES_QUERY), id(self.SEQUENCES_QUERY),
                      id(self.FUNCTIONS_QUERY), id(self.DEPS_QUERY), id(self.INDEXES_QUERY),
                      id(self.CONSTRAINTS_QUERY)}
            if id(query) in unread:
                return []
            if self.pruned_tables is None:
                where = {id(self.ALL_RELATIONS_QUERY):
                         "pruned.relationtype not in ('v', 'm', 'c')"}
            else:
                where = {
                    id(self.ALL_RELATIONS_QUERY):
                        "pruned.relationtype not in ('r', 'p', 'v', 'm', 'c') "
                        "or pruned.relationtype in ('r', 'p') "
                        "and pruned.schema || '.' || pruned.name = any({tables})",
                }
            where = where.get(id(query))
            if where:
                tables = _array_literal(self.pruned_tables or [])
                inner = query.rstrip().rstrip(";")
                query = f"select * from ({inner}) pruned where {where.format(tables=tables)}"
            return super().execute(query, *args, **kwargs)

    return PrunedInspector


def _array_literal(names: list[str]) -> str:
    quoted = ", ".join(map(literal, names))
    return f"array[{quoted}]::text[]"


def import_schemainspect():
    """Import schemainspect.pg without pkg_resources (setuptools 81 removed it).

    schemainspect's `misc` module imports `pkg_resources.resource_stream` and finds each SQL
    file through `inspect.stack()` (0.3 s of imports and stack walks). This shim loads `misc`
    first with a stub `pkg_resources` in `sys.modules` (only while `misc` executes) and
    replaces its `resource_text` with a plain file read, which its one caller
    (`schemainspect.pg.obj`, reading `sql/*.sql` beside itself) then imports.
    """
    import importlib.util
    import sys
    import types
    from pathlib import Path

    if "schemainspect.pg" not in sys.modules:
        spec = importlib.util.find_spec("schemainspect")
        folder = spec.submodule_search_locations[0]
        misc_spec = importlib.util.spec_from_file_location(
            "schemainspect.misc", f"{folder}/misc.py")
        misc = importlib.util.module_from_spec(misc_spec)
        stub = types.ModuleType("pkg_resources")
        stub.resource_stream = None
        saved = sys.modules.get("pkg_resources")
        sys.modules["pkg_resources"] = stub
        try:
            misc_spec.loader.exec_module(misc)
        finally:
            if saved is None:
                del sys.modules["pkg_resources"]
            else:
                sys.modules["pkg_resources"] = saved
        misc.resource_text = lambda subpath: Path(folder, "pg", subpath).read_text("utf-8")
        sys.modules["schemainspect.misc"] = misc
    import schemainspect.pg

    schemainspect.misc = sys.modules["schemainspect.misc"]  # as its own import would have set
    return schemainspect.pg


def _keep_managed(inspector: Inspector, snapshot: Snapshot) -> None:
    """Drop the excluded schemas, the ledger tables and the platform's part from what the
    inspector found, as the snapshot did (nivomigrate/platform.py)."""
    platform = snapshot.platform

    def is_managed(obj: object) -> bool:
        schema = getattr(obj, "schema", None) or ""
        if schema in DEFAULT_EXCLUDED or schema.startswith("pg_"):
            return False
        table = getattr(obj, "table_name", None) or getattr(obj, "name", None)
        if schema in platform.schemas:
            return False
        return f"{schema}.{table}" not in EXCLUDED_TABLES | platform.relations

    for name in _INSPECTED:
        found = getattr(inspector, name, None)
        if isinstance(found, dict):
            setattr(inspector, name, type(found)(
                (key, value) for key, value in found.items() if is_managed(value)))
