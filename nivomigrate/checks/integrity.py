"""integrity: what an interrupted online change leaves behind, swept after every apply and promote.

Problem: CREATE INDEX CONCURRENTLY that does not finish leaves an INVALID index, which every
write still maintains and no query uses; a constraint added NOT VALID whose VALIDATE never ran
does not hold for the existing rows; a sequence behind its column's maximum (rows copied in
with explicit ids) makes the next insert fail on a duplicate key. None of them shows as a
schema difference, and each breaks later. Do instead: the repair each finding names (drop and
rebuild the index CONCURRENTLY, VALIDATE the constraint, setval the sequence).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.quoting import identifier, literal

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.catalog import Catalog

NAME = "integrity"
# The sequences' current values are data, not catalog facts: read here, for the sequences the
# catalog names (pg_sequences shows null where this role may not read one).
_LAST_VALUES_SQL = """
select s.schemaname::text, s.sequencename::text, s.last_value
from pg_catalog.pg_sequences s
join unnest(%(schemas)s::text[], %(names)s::text[]) q (schemaname, sequencename)
  on q.schemaname = s.schemaname and q.sequencename = s.sequencename
"""


def integrity_findings(conn: psycopg.Connection, environment: str | None = None
                       ) -> list[Finding]:
    """Return one ERROR per INVALID index, NOT VALID constraint and sequence behind its column.

    The managed objects are the catalog floor's (`nivomigrate.catalog`: not pg_*, not the
    platform's, not extension members), the migration ledgers' tables included."""
    from nivomigrate.catalog import read_catalog

    catalog = read_catalog(conn, exclude_tables=frozenset(), parts=True)
    findings = [_not_valid(*_names(row), environment) for row in _sorted(catalog, "constraint")
                if not row.attributes["validated"]]
    findings += [_invalid_index(*_names(row), row.attributes["definition"], environment)
                 for row in _sorted(catalog, "index") if not row.attributes["valid"]]
    owned = _owned_sequences(catalog)
    last_values = _last_values(conn, [sequence for sequence, _ in owned])
    for (schema, name), (table_schema, table, column) in owned:
        last_value = last_values.get((schema, name))
        maximum = _column_maximum(conn, table_schema, table, column)
        if maximum is not None and (last_value is None or maximum > last_value):
            findings.append(_behind(schema, table, name, column,
                                    "" if last_value is None else str(last_value), maximum,
                                    environment))
    return findings


def _names(row) -> tuple[str, str, str]:
    return row.parts["schema"], row.parts["table"], row.parts["name"]


def _sorted(catalog: Catalog, kind: str) -> list:
    return sorted(catalog.of(kind).values(), key=_names)


def _owned_sequences(catalog: Catalog) -> list[tuple[tuple[str, str], tuple[str, str, str]]]:
    """Return ((schema, sequence), (schema, table, column)) of every sequence a column owns:
    serial and OWNED BY ones, then identity columns' own, sorted as the findings are."""
    owned = [((row.parts["schema"], row.parts["name"]), tuple(row.parts["owned_by"]))
             for row in catalog.of("sequence").values() if row.parts["owned_by"]]
    owned += [(tuple(row.parts["sequence"]), _names(row))
              for row in catalog.of("column").values() if row.parts["sequence"]]
    return sorted(owned, key=lambda pair: (pair[0][0], pair[1][1], pair[0][1]))


def _last_values(conn: psycopg.Connection, sequences: list[tuple[str, str]]
                 ) -> dict[tuple[str, str], int | None]:
    if not sequences:
        return {}
    rows = conn.execute(_LAST_VALUES_SQL, {"schemas": [schema for schema, _ in sequences],
                                           "names": [name for _, name in sequences]})
    return {(schema, name): value for schema, name, value in rows.fetchall()}


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
