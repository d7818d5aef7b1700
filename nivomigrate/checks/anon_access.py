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
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.quoting import identifier

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import CoverageContext

NAME = "anon-access"
API_ROLES = ("anon", "authenticated")
_SQL = resources.files(__package__).joinpath("anon_access.sql").read_text()


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
    from nivomigrate.migrations import VERSION_TABLE

    rows = conn.execute(_SQL, {"schema": schema, "roles": list(API_ROLES),
                               "version_table": VERSION_TABLE}).fetchall()
    return [ApiAccess(name, role, kind, tuple(privileges), has_rls, policies)
            for name, role, kind, privileges, has_rls, policies in rows]


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
