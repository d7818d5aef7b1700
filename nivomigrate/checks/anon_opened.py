"""anon-opened: a revision must not open a table to Supabase's `anon` or `authenticated`.

Problem: what `anon-access` finds on a database got there through a revision: a GRANT to
`anon`, `authenticated` or PUBLIC; `DISABLE ROW LEVEL SECURITY`; `ALTER DEFAULT PRIVILEGES ...
TO anon`; or, on Supabase projects whose default privileges give every new `public` table to
both roles, a plain CREATE TABLE. The anon key is public, so the table is readable (and
writable) through the Data API the moment the revision runs on production.
Do instead: in the same revision, after the statement, `REVOKE ALL ON TABLE <t> FROM anon,
authenticated`, or `ALTER TABLE <t> ENABLE ROW LEVEL SECURITY` and write policies.

Read from the parsed SQL, per table, in statement order (a later REVOKE or ENABLE closes what
an earlier statement opened); with a database, it also knows which tables RLS already covers,
whether CREATE TABLE inherits default privileges there (the catalog floor's default-privileges
rows of the migration role, in the table's schema or global), and whether it is a Supabase
project at all: a grant to PUBLIC reaches `anon` only there (on plain PostgreSQL it is an
ordinary grant).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Severity

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.catalog import Catalog
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import RevisionSQL, Statement

NAME = "anon-opened"
API_ROLES = frozenset({"anon", "authenticated", "public"})
@dataclass(frozen=True)
class _Facts:
    """What one database says before the revision: do new tables inherit API grants, which
    tables have RLS on, which are granted to the API roles (None: no database, unknown), and
    whether a grant to PUBLIC reaches them (a Supabase project; unknown without a database)."""

    inherits: bool = False
    rls: frozenset[str] = frozenset()
    granted: frozenset[str] | None = None
    public_is_api: bool = True


def run(revision: RevisionSQL, databases: dict[str, psycopg.Connection]) -> list[Finding]:
    """Flag each table the revision leaves open to the API roles, once per table."""
    found: dict[str, Finding] = {}
    for environment, facts in _facts(databases).items():
        for table, statement in _opened(revision, facts).items():
            found.setdefault(table, _finding(revision, statement, table, environment))
    return list(found.values())


def _facts(databases) -> dict[str | None, _Facts]:
    """Read each database's facts from the catalog floor (`nivomigrate.catalog`) and what the
    API roles may do there (`anon_access.api_access`)."""
    from nivomigrate.checks.anon_access import api_access, read_api_catalog
    from nivomigrate.privileges import row_secured

    if not databases:
        return {None: _Facts()}
    facts = {}
    for environment, conn in databases.items():
        read = read_api_catalog(conn)
        granted = {a.table for a in api_access(conn, read) if a.privileges}
        facts[environment] = _Facts(_inherits(read), frozenset(row_secured(read)),
                                    frozenset(granted),
                                    bool(read.platform.schemas))
    return facts


def _inherits(read: Catalog) -> bool:
    """Whether the migration role's default privileges (global or in public) give new tables
    to PUBLIC, anon or authenticated."""
    return any(row.parts["for_current_user"] and row.parts["on"] == "tables"
               and row.parts["schema"] in (None, "public")
               and row.parts["grantee"] in (None, "anon", "authenticated")
               and row.attributes["privileges"]
               for row in read.of("default_privileges").values())


def _opened(revision: RevisionSQL, facts: _Facts) -> dict[str, Statement]:
    """Walk the statements in order; return each table left open and what opened it."""
    granted, rls = set(facts.granted or ()), set(facts.rls)
    opened_by: dict[str, Statement] = {}
    future: Statement | None = None
    for statement in revision.statements:
        for verb, table in _effects(statement.sql):
            if verb == "default_grant":
                future = statement
            elif verb == "revoke":
                granted.discard(table)
            elif verb == "enable_rls":
                rls.add(table)
            elif verb == "disable_rls":
                rls.discard(table)
                if facts.granted is None:  # no database: assume the old Supabase defaults
                    granted.add(table)
            if verb == "grant_public" and facts.public_is_api:
                verb = "grant"
            if verb == "grant" or (verb == "create" and (facts.inherits or future)):
                granted.add(table)
            if verb in ("grant", "disable_rls") or (
                    verb == "create" and (facts.inherits or future)):
                opened_by[table] = statement
    opened = {t: s for t, s in opened_by.items() if t in granted and t not in rls}
    if future is not None:
        opened.setdefault("(tables created later)", future)
    return opened


def still_open(revisions: list[RevisionSQL], conn: psycopg.Connection,
               tables: set[str]) -> set[str]:
    """Return which of `tables` (open to the API roles on `conn` today) the pending
    `revisions` leave open: those no later REVOKE ALL ... FROM anon, authenticated (of the
    table, or of all tables in schema public) or ENABLE ROW LEVEL SECURITY closes."""
    from nivomigrate.sql import words

    left = set(tables)
    for revision in revisions:
        for statement in revision.statements:
            for verb, table in _effects(statement.sql):
                if verb in ("revoke", "enable_rls"):
                    left.discard(table)
            keywords = [t.upper() for t, quoted in words(statement.sql) if not quoted]
            if keywords[:1] == ["REVOKE"] and "ALL" in keywords and "SCHEMA" in keywords and \
                    {"ANON", "AUTHENTICATED"} <= set(keywords):
                left.clear()
    return left


def _effects(text: str) -> list[tuple[str, str]]:
    """Return what a statement does to the API roles' access: (verb, table) pairs."""
    from sqlglot import exp

    from nivomigrate.sql import name, parse, words

    tree = parse(text)
    if isinstance(tree, exp.Create) and tree.kind == "TABLE":
        return [("create", name(tree.this))]
    if isinstance(tree, (exp.Grant, exp.Revoke)):
        return _grant_effects(tree)
    tokens = words(text)
    keywords = [t.upper() if not quoted else t for t, quoted in tokens]
    if keywords[:2] == ["ALTER", "TABLE"] and "ROW" in keywords and "SECURITY" in keywords:
        table = _table_after(tokens, 2)
        if "DISABLE" in keywords:
            return [("disable_rls", table)]
        if "ENABLE" in keywords:
            return [("enable_rls", table)]
    if keywords[:3] == ["ALTER", "DEFAULT", "PRIVILEGES"] and "GRANT" in keywords:
        grantees = keywords[keywords.index("TO") + 1:] if "TO" in keywords else []
        if {g.lower() for g in grantees} & API_ROLES and "TABLES" in keywords:
            return [("default_grant", "")]
    return []


def _grant_effects(tree) -> list[tuple[str, str]]:
    from nivomigrate.sql import name

    kind = str(tree.args.get("kind") or "TABLE").upper()
    principals = {(name(p.this) or "").lower() for p in tree.args.get("principals") or []}
    if kind != "TABLE" or not principals & API_ROLES:
        return []
    table = name(tree.args["securable"])
    if type(tree).__name__ == "Grant":
        return [("grant" if principals - {"public"} else "grant_public", table)]
    privileges = {p.this.name.upper() for p in tree.args.get("privileges") or []}
    closes = "ALL" in privileges and {"anon", "authenticated"} <= principals
    return [("revoke", table)] if closes else []


def _table_after(tokens, position: int) -> str:
    """The table name at `position` (schema dropped; IF EXISTS and ONLY skipped)."""
    texts = [t for t, _ in tokens]
    while position < len(texts) and texts[position].upper() in ("IF", "EXISTS", "ONLY"):
        position += 1
    if position + 2 < len(texts) and texts[position + 1] == ".":
        position += 2
    text, quoted = tokens[position]
    return text if quoted else text.lower()


def _finding(revision: RevisionSQL, statement: Statement, table: str,
             environment: str | None) -> Finding:
    where = f" on {environment}" if environment else ""
    if table == "(tables created later)":
        message = ("the revision grants every table created later to the Supabase Data API "
                   "roles by default privileges")
        fix = ("drop the ALTER DEFAULT PRIVILEGES ... GRANT; grant each table to the service "
               "roles with `nivomigrate roles`")
    else:
        message = (f'"{table}" is left open to the Supabase Data API (anon, authenticated)'
                   f"{where}: anyone with the anon key can reach it")
        fix = (f'add after it, in the same revision: REVOKE ALL ON TABLE "public"."{table}" '
               f'FROM anon, authenticated; or ALTER TABLE "public"."{table}" ENABLE ROW LEVEL '
               "SECURITY and write its policies")
    return Finding(check=NAME, severity=Severity.ERROR, message=message,
                   location=revision.location(statement, table), help=fix,
                   evidence=(("statement", statement.sql),),
                   environment=environment)


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: tables the revision opens to anon or authenticated."""
    return run(revision, dict(ctx.databases))
