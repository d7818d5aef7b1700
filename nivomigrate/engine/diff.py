"""Diff two databases: the snapshot differences, and the SQL that turns one into the other.

The only importer of migra in nivomigrate (unmaintained upstream, so kept replaceable): the SQL
is what `migra --unsafe source target` prints, drops included, restricted to the managed
schemas and without the migration ledgers. Both snapshots are taken at once; when their
fingerprints are equal, migra is not run at all.
"""

from __future__ import annotations

import functools
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import db
from nivomigrate.snapshot import (
    DEFAULT_EXCLUDED,
    EXCLUDED_TABLES,
    SchemaDiff,
    Snapshot,
    compare,
    take_snapshot,
)

if TYPE_CHECKING:
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


def diff_schemas(source: db.Target, target: db.Target) -> DiffResult:
    """Compare two databases; the SQL turns `source` into `target` ("" when equal).

    `snapshot_diff` reads as promoting the target onto the source: `added` is only in the
    target, `removed` only in the source.

    Raises:
        DatabaseConnectionError: a database cannot be reached or refuses the login.
        RefusedConnectionError: a URL names a pooler or a replica.
    """
    source_snapshot, target_snapshot = _in_parallel(snapshot_of, source, target)
    if source_snapshot.fingerprint == target_snapshot.fingerprint:
        return DiffResult(SchemaDiff(), "")
    schema_diff = compare(target_snapshot, source_snapshot)
    tables = _touched_tables(schema_diff, source_snapshot, target_snapshot)
    snapshots = {id(source): source_snapshot, id(target): target_snapshot}
    source_inspector, target_inspector = _in_parallel(
        lambda side: _inspect(side, tables, snapshots[id(side)]), source, target)
    return DiffResult(schema_diff, _migra_sql(source_inspector, target_inspector))


def diff_sql(source: db.Target, target: db.Target) -> str:
    """Return the SQL that turns `source` into `target`, drops included; "" when equal."""
    return diff_schemas(source, target).sql


def _in_parallel(work, source: db.Target, target: db.Target) -> tuple:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(work, source), pool.submit(work, target)]
        return tuple(future.result() for future in futures)


def snapshot_of(target: db.Target) -> Snapshot:
    """Snapshot the managed schema of `target` through a read-only connection."""
    with db.connection(target, writes=False) as conn:
        return take_snapshot(conn)


def _touched_tables(schema_diff: SchemaDiff, *snapshots: Snapshot) -> frozenset[str]:
    """Return the "schema.table" names whose relations, indexes or constraints migra must see.

    Those of every differing table, column, index, constraint, trigger and policy, and of the
    columns whose type is a differing enum, domain or composite type.
    """
    keys = [*schema_diff.added, *schema_diff.removed, *(c.key for c in schema_diff.changed)]
    tables, types = set(), set()
    for key in keys:
        kind, _, name = key.partition(" ")
        if kind == "table":
            tables.add(name)
        elif kind in {"column", "constraint", "trigger", "policy"}:
            tables.add(name.rsplit(".", 1)[0])
        elif kind == "index":
            tables.update(s.objects[key]["table"] for s in snapshots if key in s.objects)
        elif kind in {"enum", "domain", "type"}:
            types.add(name)
    if types:
        for snapshot in snapshots:
            for key, attributes in snapshot.objects.items():
                column_type = str(attributes.get("type", "")).replace('"', "").removesuffix("[]")
                if key.startswith("column ") and column_type in types:
                    tables.add(key.split(" ", 1)[1].rsplit(".", 1)[0])
    return frozenset(tables)


def _inspect(target: db.Target, tables: frozenset[str], snapshot: Snapshot) -> Inspector:
    """Inspect `target` with schemainspect: every object, but only `tables` among tables.

    The relations, indexes and constraints of other tables are the slow part of migra's
    inspection (90% of it on a thousand tables) and cannot differ, so they are not read.
    """
    engine = db.sqlalchemy_engine(target, writes=False)
    try:
        with engine.connect() as conn:
            inspector = _pruned_inspector_class()(conn, tables)
    finally:
        engine.dispose()
    _keep_managed(inspector, snapshot)
    return inspector


@functools.cache
def _pruned_inspector_class() -> type:
    from schemainspect.pg import PostgreSQL
    from sqlalchemy import bindparam, text

    class PrunedInspector(PostgreSQL):
        def __init__(self, conn, tables: frozenset[str]) -> None:
            self.pruned_tables = sorted(tables)
            super().__init__(conn)

        def execute(self, query, *args, **kwargs):
            where = {
                id(self.ALL_RELATIONS_QUERY):
                    "pruned.relationtype not in ('r', 'p') "
                    "or pruned.schema || '.' || pruned.name = any(:tables)",
                id(self.INDEXES_QUERY): "pruned.schema || '.' || pruned.table_name = any(:tables)",
                id(self.CONSTRAINTS_QUERY):
                    "pruned.schema || '.' || pruned.table_name = any(:tables)",
            }.get(id(query))
            if where:
                inner = query.text.rstrip().rstrip(";")
                query = text(f"select * from ({inner}) pruned where {where}").bindparams(
                    bindparam("tables", self.pruned_tables))
            return super().execute(query, *args, **kwargs)

    return PrunedInspector


def _keep_managed(inspector: Inspector, snapshot: Snapshot) -> None:
    """Drop the excluded schemas, the ledger tables and the platform's part from what the
    inspector found, as the snapshot did (nivomigrate/platform.py): in the platform's schemas
    only the app's triggers and policies on its tables are kept."""
    platform = snapshot.platform

    def is_managed(obj: object) -> bool:
        schema = getattr(obj, "schema", None) or ""
        if schema in DEFAULT_EXCLUDED or schema.startswith("pg_"):
            return False
        table = getattr(obj, "table_name", None) or getattr(obj, "name", None)
        if schema in platform.schemas:
            kind = {"InspectedTrigger": "trigger", "InspectedRowPolicy": "policy"}.get(
                type(obj).__name__)
            return f"{kind} {schema}.{table}.{obj.name}" in snapshot.objects
        return f"{schema}.{table}" not in EXCLUDED_TABLES | platform.relations

    for name in _INSPECTED:
        found = getattr(inspector, name, None)
        if isinstance(found, dict):
            setattr(inspector, name, type(found)(
                (key, value) for key, value in found.items() if is_managed(value)))


def _migra_sql(source: Inspector, target: Inspector) -> str:
    from migra import Migration

    migration = Migration(source, target)
    migration.set_safety(False)
    migration.add_all_changes()
    statements = [statement for statement in migration.statements
                  if not _LEDGER_STATEMENT.search(statement)]
    return "\n\n".join(statements) + "\n\n" if statements else ""
