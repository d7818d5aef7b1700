"""service-access: each service's role can still run what the service runs.

Problem: the services connect as group roles holding exactly what services.yaml names
(docs/roles.md). A revision that revokes a grant, drops or renames a column a service reads,
or recreates a table without its grants leaves the service failing with "permission denied" or
"column does not exist" the moment it is promoted, while every check run as the owner passes.
And a table with row level security whose policies let a service see no row fails silently:
the service reads nothing.
Do instead: run `nivomigrate roles` and apply its revision; for a column a service still uses,
expand/contract (deploy the service without it first, update services.yaml, then drop it).

On one database (coverage, plan on head, apply's verification on staging), inside a
transaction that is rolled back, after `SET LOCAL ROLE <service role>`: every hot query of the
service and every read and write shape of the map (roles.write_shapes) is PREPAREd and
EXPLAINed with NULL parameters (EXPLAIN checks privileges without running the statement, so
INSERTs are explained in a read-only transaction); each RLS-enabled table the service reads
that has rows for the owner must show the role at least one. A database that grants the map's
roles nothing on any table (roles not adopted yet; roles belong to the whole cluster) is not
judged. Plan's head schema, built in the shadow server from the revisions, is judged too: its
grants are the revisions', which is what a pending revision changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import CoverageContext
    from nivomigrate.policies.hot_queries import HotQuery
    from nivomigrate.policies.services import ServiceMap
    from nivomigrate.roles import ServiceRole, Shape

NAME = "service-access"
_PARAMETERS_SQL = "select cardinality(parameter_types) from pg_prepared_statements where name = %s"


@dataclass(frozen=True)
class Refusal:
    """A shape its service's role could not prepare or explain."""

    role: ServiceRole
    shape: Shape
    error: str
    is_privilege: bool  # permission denied, as opposed to a missing column or table


def run(conn: psycopg.Connection, services: ServiceMap,
        queries: list[HotQuery]) -> list[Finding]:
    """Try every shape and hot query as its service's role on `conn`; report what fails."""
    from nivomigrate.privileges import (
        existing_roles,
        privileges_of,
        read_app_catalog,
        row_secured,
        tables_of,
    )
    from nivomigrate.roles import service_roles

    roles = service_roles(services)
    names = [role.role for role in roles]
    present = existing_roles(conn, names)
    if not services.uses or not present:
        return []
    catalog = read_app_catalog(conn)
    if not _adopted(privileges_of(catalog, names)):
        return []
    found = [_missing(role) for role in roles if role.role not in present]
    tables = tables_of(catalog)
    for role in (r for r in roles if r.role in present):
        found += [_refused(r) for r in _refusals(conn, role, _shapes(role, services, tables,
                                                                      queries))]
        found += _rls_findings(conn, role, services, tables, row_secured(catalog))
    return found


def _adopted(privileges) -> bool:
    """Whether the database grants the roles anything on a table (roles are cluster-wide:
    another database of the server may use them while this one has not adopted them yet)."""
    return any(privilege.kind == "table" for privilege in privileges)


def _shapes(role: ServiceRole, services: ServiceMap, tables, queries) -> list[Shape]:
    from nivomigrate.roles import Shape, write_shapes

    shapes = [shape for shape in write_shapes(services, tables) if shape.service == role.service
              and (not role.read_only or shape.name == "read")]
    shapes += [Shape(q.service, q.table, q.name, q.sql) for q in queries
               if q.sql and q.service == role.service]
    return shapes


def _refusals(conn: psycopg.Connection, role: ServiceRole, shapes: list[Shape]) -> list[Refusal]:
    """EXPLAIN each shape as `role` in one rolled-back, read-only transaction."""
    import psycopg
    from psycopg import sql

    refusals = []
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        cur.execute("SET TRANSACTION READ ONLY")
        try:
            cur.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role.role)))
        except psycopg.errors.InsufficientPrivilege as exc:
            return [Refusal(role, shape, _first_line(exc), True) for shape in shapes[:1]]
        for number, shape in enumerate(shapes):
            error = _explain(conn, cur, f"nivomigrate_service_access_{number}", shape.sql)
            if error is not None:
                refusals.append(Refusal(role, shape, *error))
    return [r for r in refusals if r.is_privilege or r.shape.name in _MAP_SHAPES]


_MAP_SHAPES = {"read", "insert", "upsert", "update", "delete"}


def _explain(conn, cur, name: str, text: str) -> tuple[str, bool] | None:
    """PREPARE and EXPLAIN `text` in a savepoint; return (error, is_privilege) or None."""
    import psycopg
    from psycopg import sql

    try:
        with conn.transaction():
            cur.execute(sql.SQL("PREPARE {} AS ").format(sql.Identifier(name))
                        + sql.SQL(text.strip().rstrip(";")), binary=True)
            count = cur.execute(_PARAMETERS_SQL, (name,)).fetchone()[0] or 0
            arguments = sql.SQL("({})").format(sql.SQL(", ").join([sql.NULL] * count)) \
                if count else sql.SQL("")
            cur.execute(sql.SQL("EXPLAIN EXECUTE {}{}").format(sql.Identifier(name), arguments))
            cur.execute(sql.SQL("DEALLOCATE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        return _first_line(exc), isinstance(exc, psycopg.errors.InsufficientPrivilege)
    return None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _rls_findings(conn, role: ServiceRole, services: ServiceMap, tables,
                  rls: set[str]) -> list[Finding]:
    """An RLS table the service reads that has rows must show the role some (`rls`: the
    tables of public with row level security, from the catalog floor)."""
    from psycopg import sql

    read = sorted({use.table for use in services.uses if use.service == role.service
                   and use.reads and use.table in rls and use.table in tables})
    found = []
    for table in read:
        query = sql.SQL("select exists (select from {}.{})").format(
            sql.Identifier("public"), sql.Identifier(table))
        with conn.transaction(force_rollback=True):
            has_rows = conn.execute(query).fetchone()[0]
            conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role.role)))
            sees_rows = has_rows and conn.execute(query).fetchone()[0]
        if has_rows and not sees_rows:
            found.append(_rls_finding(role, table))
    return found


def _rls_finding(role: ServiceRole, table: str) -> Finding:
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=f'row level security on "{table}" shows {role.service} ({role.role}) no row, '
                "though the table has rows and services.yaml says it reads it",
        location=Location(object=table),
        help=f'add a policy for {role.role}: CREATE POLICY ... ON "public"."{table}" FOR '
             f"SELECT TO {role.role} USING (...)",
    )


def _refused(refusal: Refusal) -> Finding:
    role, shape = refusal.role, refusal.shape
    fix = ("run `nivomigrate roles` and apply the revision it writes"
           if refusal.is_privilege else
           "expand/contract: keep what the service uses until it is deployed without it and "
           "policies/services.yaml says so, then drop it in a later revision")
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=f'{role.service} ({role.role}) can no longer run its {shape.name} on '
                f'"{shape.table}": {refusal.error}',
        location=Location(object=f"{shape.table} ({role.service} {shape.name})"),
        help=fix,
        evidence=(("service", role.service), ("role", role.role), ("statement", shape.sql)),
    )


def _missing(role: ServiceRole) -> Finding:
    return Finding(
        check=NAME,
        severity=Severity.WARNING,
        message=f"the role {role.role} of {role.service} does not exist here, while other "
                "service roles do",
        location=Location(object=role.role),
        help="run `nivomigrate roles` and apply the revision it writes",
    )


def check(ctx: CoverageContext) -> list[Finding]:
    """The registry's entry: what a service's role can no longer run on the database."""
    if ctx.services is None:
        return []
    return run(ctx.conn, ctx.services, ctx.queries)
