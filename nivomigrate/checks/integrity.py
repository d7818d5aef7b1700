"""integrity: what an interrupted online change leaves behind, swept after every apply and promote.

Problem: CREATE INDEX CONCURRENTLY that does not finish leaves an INVALID index, which every
write still maintains and no query uses; a constraint added NOT VALID whose VALIDATE never ran
does not hold for the existing rows; a sequence behind its column's maximum (rows copied in
with explicit ids) makes the next insert fail on a duplicate key. None of them shows as a
schema difference, and each breaks later. Do instead: the repair each finding names (drop and
rebuild the index CONCURRENTLY, VALIDATE the constraint, setval the sequence).
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.quoting import identifier, literal

if TYPE_CHECKING:
    import psycopg

NAME = "integrity"
_SQL = resources.files(__package__).joinpath("integrity.sql").read_text()
# Schemas a Supabase platform owns: not ours to judge (nor pg_* and information_schema).
PLATFORM_SCHEMAS = frozenset({
    "auth", "storage", "realtime", "supabase_functions", "supabase_migrations", "extensions",
    "graphql", "graphql_public", "pgsodium", "pgsodium_masks", "vault", "net", "cron",
    "pgbouncer", "nivomigrate"})
_SCHEMAS_SQL = """
select coalesce(array_agg(nspname::text), '{}') from pg_namespace
where nspname not like 'pg\\_%' and nspname <> 'information_schema'
"""


def integrity_findings(conn: psycopg.Connection, environment: str | None = None
                       ) -> list[Finding]:
    """Return one ERROR per INVALID index, NOT VALID constraint and sequence behind its column."""
    schemas = [name for name in conn.execute(_SCHEMAS_SQL).fetchone()[0]
               if name not in PLATFORM_SCHEMAS]
    findings = []
    for kind, schema, table, name, definition, column in conn.execute(
            _SQL, {"schemas": schemas}).fetchall():
        if kind == "index":
            findings.append(_invalid_index(schema, table, name, definition, environment))
        elif kind == "constraint":
            findings.append(_not_valid(schema, table, name, environment))
        elif (maximum := _column_maximum(conn, schema, table, column)) is not None and (
                not definition or maximum > int(definition)):
            findings.append(_behind(schema, table, name, column, definition, maximum,
                                    environment))
    return findings


def _invalid_index(schema, table, name, definition, environment) -> Finding:
    rebuild = definition.replace(" INDEX ", " INDEX CONCURRENTLY ", 1)
    return Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"index {identifier(schema, name)} on {identifier(schema, table)} is INVALID (a "
        "CREATE INDEX CONCURRENTLY that did not finish): written on every insert, never used",
        location=Location(object=f"{schema}.{name}"),
        help=f"DROP INDEX CONCURRENTLY {identifier(schema, name)}; {rebuild};",
        environment=environment,
    )


def _not_valid(schema, table, name, environment) -> Finding:
    return Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"constraint {identifier(name)} on {identifier(schema, table)} is NOT VALID: the "
        "existing rows were never checked",
        location=Location(object=f"{schema}.{table}.{name}"),
        help=f"ALTER TABLE {identifier(schema, table)} VALIDATE CONSTRAINT {identifier(name)};",
        environment=environment,
    )


def _behind(schema, table, name, column, last_value, maximum, environment) -> Finding:
    return Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"sequence {identifier(schema, name)} is at {last_value or 'its start'}, behind "
        f"the maximum {maximum} of {identifier(schema, table)}.{identifier(column)}: the next "
        "insert fails on a duplicate key",
        location=Location(object=f"{schema}.{name}"),
        help=f"SELECT setval({literal(identifier(schema, name))}, "
        f"(SELECT max({identifier(column)}) FROM "
        f"{identifier(schema, table)}));",
        environment=environment,
    )


def _column_maximum(conn: psycopg.Connection, schema: str, table: str, column: str
                    ) -> int | None:
    from psycopg import sql

    query = sql.SQL("select max({})::int8 from {}").format(
        sql.Identifier(column), sql.Identifier(schema, table))
    return conn.execute(query).fetchone()[0]
