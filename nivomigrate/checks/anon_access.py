"""anon-access: the app's tables give nothing to Supabase's `anon` and `authenticated`.

Problem: Supabase's Data API (PostgREST) runs every request with the public anon key as
`anon`, or as `authenticated` for a signed-in user. Older projects grant every new `public`
table to both by default privileges, so with row level security off anyone holding the anon
key (it ships in every web page) reads `"User".password` with one HTTP request.
Do instead: revoke the table from both roles, or enable row level security and write policies
(a table with RLS on and no policy gives them no row). A view runs as its owner, so RLS of its
tables does not close it: revoke it or make it `security_invoker` (a WARNING: a view granted
to anon is often meant to be public). Only what the Data API can send counts (SELECT, INSERT,
UPDATE, DELETE); Supabase's default TRUNCATE, REFERENCES and TRIGGER grants are not reachable
through it, as the roles cannot log in.

Judges one database's catalog (coverage, plan on head, apply's verification on staging); a
server without the roles (not Supabase) has nothing to judge. The revision that opens a
table is stopped earlier by `anon-opened` (lint).

The tables, views, RLS, view options and policies are the catalog floor's rows
(`nivomigrate.catalog`). What the roles may do is asked of the server with
has_table_privilege / has_any_column_privilege (`anon_access.sql`, over `managed.sql`):
those count PUBLIC's grants and role memberships as PostgreSQL does when it checks a request,
which no catalog row says (the floor's grant rows are each role's direct grants only).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.quoting import identifier

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.catalog import Catalog
    from nivomigrate.checks.context import CoverageContext

NAME = "anon-access"
API_ROLES = ("anon", "authenticated")
_SQL = resources.files(__package__).joinpath("anon_access.sql").read_text()
_TRUE = {"true", "on", "yes", "1"}


@dataclass(frozen=True)
class ApiAccess:
    """What one Data API role may do on one table or view."""

    table: str
    role: str
    kind: str  # pg_class.relkind: r, p, v, m, f
    privileges: tuple[str, ...]
    has_rls: bool
    policies: int

    @property
    def open_privileges(self) -> tuple[str, ...]:
        """The privileges RLS does not close: none of a table with RLS on (or of a
        security_invoker view), all of another view."""
        return () if self.has_rls else self.privileges


def read_api_access(conn: psycopg.Connection, schema: str = "public") -> list[ApiAccess]:
    """Return what `anon` and `authenticated` may do on each table and view of `schema`."""
    return api_access(conn, read_api_catalog(conn, schema), schema)


def read_api_catalog(conn: psycopg.Connection, schema: str = "public") -> Catalog:
    """Return the catalog `api_access` judges: the migration ledgers' tables are judged too,
    alembic's version table in `schema` is not."""
    from nivomigrate.catalog import read_catalog

    return read_catalog(conn, exclude_tables=_excluded(schema), parts=True)


def api_access(conn: psycopg.Connection, read: Catalog, schema: str = "public"
               ) -> list[ApiAccess]:
    """Return what the API roles may do on `read`'s tables and views of `schema` (`read` is
    `read_api_catalog`'s, of `conn`'s database)."""
    from nivomigrate import catalog

    relations = _relations(read, schema)
    parameters = catalog.parameters(read.platform, exclude_tables=_excluded(schema))
    rows = conn.execute(catalog.query(_SQL), parameters | {
        "schema": schema, "roles": list(API_ROLES)}).fetchall()
    return [ApiAccess(name, role, *relations[name][:1], tuple(privileges), *relations[name][1:])
            for name, role, privileges in rows if name in relations]


def _excluded(schema: str) -> frozenset[str]:
    from nivomigrate.migrations import VERSION_TABLE

    return frozenset({f"{schema}.{VERSION_TABLE}"})


def _relations(read: Catalog, schema: str) -> dict[str, tuple[str, bool, int]]:
    """Return each table's and view's relkind, whether RLS applies, and its policies."""
    policies: dict[str, int] = {}
    for row in read.of("policy").values():
        if row.parts["schema"] == schema:
            policies[row.parts["table"]] = policies.get(row.parts["table"], 0) + 1
    found = {row.parts["name"]: (row.attributes["kind"], bool(row.attributes["row_security"]))
             for row in read.of("table").values() if row.parts["schema"] == schema}
    for kind, relkind in (("view", "v"), ("materialized view", "m")):
        for row in read.of(kind).values():
            if row.parts["schema"] == schema:
                # a security_invoker view applies its tables' RLS to the caller (PostgreSQL 15+)
                invoker = (row.attributes["options"] or {}).get("security_invoker", "")
                found[row.parts["name"]] = (relkind, invoker.lower() in _TRUE)
    return {name: (kind, rls, policies.get(name, 0)) for name, (kind, rls) in found.items()}


def findings(accesses: list[ApiAccess], schema: str = "public") -> list[Finding]:
    """One ERROR per table or view an API role may use past RLS, with the REVOKE that closes it."""
    by_table: dict[str, list[ApiAccess]] = {}
    for access in accesses:
        if access.open_privileges:
            by_table.setdefault(access.table, []).append(access)
    return [_finding(table, opened, schema) for table, opened in sorted(by_table.items())]


def _finding(table: str, opened: list[ApiAccess], schema: str) -> Finding:
    what = "; ".join(f"{a.role}: {', '.join(a.open_privileges)}" for a in opened)
    roles = ", ".join(a.role for a in opened)
    qualified = identifier(schema, table)
    is_table = opened[0].kind in ("r", "p")
    rls = (f", or ALTER TABLE {qualified} ENABLE ROW LEVEL SECURITY with policies for the rows "
           "they may see") if is_table else (
        f", or ALTER VIEW {qualified} SET (security_invoker = true) so that the RLS of its "
        "tables applies")
    return Finding(
        check=NAME,
        # A view granted to anon is often meant to be public (a published page): reported,
        # not blocking; a table without RLS never is.
        severity=Severity.ERROR if is_table else Severity.WARNING,
        message=f'"{table}" is open to the Supabase Data API ({what}): anyone with the anon '
                "key can reach it",
        location=Location(object=table),
        help=f"in the next revision: REVOKE ALL ON TABLE {qualified} FROM {roles}{rls}",
        evidence=tuple((a.role, f"privileges {', '.join(a.privileges)}; RLS "
                        f"{'on' if a.has_rls else 'off'}, {a.policies} policies")
                       for a in opened),
    )


def run(conn: psycopg.Connection) -> list[Finding]:
    """Read `conn`'s catalog and report the tables open to the Data API roles."""
    return findings(read_api_access(conn))


def check(ctx: CoverageContext) -> list[Finding]:
    """The registry's entry: tables and views of the database open to anon or authenticated."""
    return [] if ctx.is_shadow else run(ctx.conn)
