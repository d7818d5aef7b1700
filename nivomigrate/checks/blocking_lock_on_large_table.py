"""blocking-lock-on-large-table: a statement that blocks writes to a large existing table
for as long as it runs.

Problem: squawk sees the SQL but not the data; a plain CREATE INDEX, a type change, a SET NOT
NULL or a validated constraint takes seconds on staging's small table and minutes on
production's, with every insert of the services queued behind it. The same statement on a
table created in the same revision blocks nobody.
Do instead: the online form from `nivomigrate.ops` (help gives it per statement).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Severity
from nivomigrate.sizes import format_bytes, format_rows

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import Change, RevisionSQL, Statement
    from nivomigrate.policies.promotion import PromotionPolicy

NAME = "blocking-lock-on-large-table"
# A table's size as the revision names it (through the search_path the revision runs with):
# statistics and bytes on disk, which the catalog floor's rows do not keep.
TABLE_SIZE_SQL = """
select c.reltuples::bigint, pg_total_relation_size(c.oid)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relname = %s and c.relkind in ('r', 'p') and n.nspname = any(current_schemas(false))
order by array_position(current_schemas(false), n.nspname) limit 1
"""
_HELP = {
    "create_index": ("SHARE", "building an index",
                     "nivomigrate.ops.create_index_concurrently(name, table, keys) "
                     "(CREATE INDEX CONCURRENTLY IF NOT EXISTS, in its own revision)"),
    "alter_type": ("ACCESS EXCLUSIVE", "changing a column type (a table rewrite)",
                   "add a new column, backfill it in batches, switch the services, drop the old"),
    "set_not_null": ("ACCESS EXCLUSIVE", "SET NOT NULL (a full scan)",
                     "nivomigrate.ops.set_not_null_online(table, column): CHECK NOT VALID, "
                     "VALIDATE, then SET NOT NULL without a scan"),
    "add_column": ("ACCESS EXCLUSIVE", "adding a column with a volatile default (a rewrite)",
                   "add the column without default, set the default, backfill in batches"),
    "add_constraint": ("ACCESS EXCLUSIVE", "adding a validated constraint (a full scan)",
                       "add it NOT VALID, then VALIDATE CONSTRAINT (SHARE UPDATE EXCLUSIVE); "
                       "foreign keys: nivomigrate.ops.add_foreign_key_online; unique/primary "
                       "keys: build the unique index CONCURRENTLY, then ADD ... USING INDEX"),
}


def blocking_change(statement: Statement, change: Change, earlier: list[Statement]) -> bool:
    """Tell whether `change` holds a write-blocking lock for a time that grows with the table."""
    if change.kind == "create_index":
        return not change.concurrently
    if change.kind == "alter_type":
        return True
    if change.kind == "add_column":
        return change.volatile_default
    if change.kind == "add_constraint":
        return not change.not_valid
    if change.kind == "set_not_null":
        # After a validated CHECK (col IS NOT NULL), PostgreSQL skips the scan.
        return not any(c.kind == "validate_constraint" and c.table == change.table
                       for s in earlier for c in s.changes)
    return False


def table_size(conn: psycopg.Connection, table: str) -> tuple[int | None, int] | None:
    """Return (estimated rows or None when never analysed, total bytes), None when absent."""
    row = conn.execute(TABLE_SIZE_SQL, (table,)).fetchone()
    if row is None:
        return None
    return (row[0] if row[0] >= 0 else None), row[1]


def run(revision: RevisionSQL, conn: psycopg.Connection, environment: str,
        policy: PromotionPolicy) -> list[Finding]:
    """Flag write-blocking statements on tables of `conn`'s database above the size limits."""
    findings, created = [], revision.created_tables()
    for index, statement in enumerate(revision.statements):
        for change in statement.changes:
            if change.table in created or change.kind not in _HELP:
                continue
            if not blocking_change(statement, change, list(revision.statements[:index])):
                continue
            size = table_size(conn, change.table)
            if size is None or not _is_large(size, policy):
                continue
            findings.append(_finding(revision, statement, change, size, environment, policy))
    return findings


def _is_large(size: tuple[int | None, int], policy: PromotionPolicy) -> bool:
    rows, total = size
    return total > policy.large_table_bytes or (rows or 0) > policy.large_table_rows


def _finding(revision, statement, change, size, environment, policy) -> Finding:
    mode, what, safe = _HELP[change.kind]
    if change.kind == "add_constraint" and change.detail == "FOREIGN KEY":
        mode = "SHARE ROW EXCLUSIVE"
    rows, total = size
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=(f'{what} on "{change.table}" ({format_rows(rows)}, {format_bytes(total)} in '
                 f"{environment}) holds a {mode} lock that blocks writes while it runs"),
        location=revision.location(statement, change.table),
        help=safe,
        evidence=(("statement", statement.sql),
                  ("limit", f"{policy.large_table_rows:,} rows or "
                            f"{format_bytes(policy.large_table_bytes)}")),
        environment=environment,
    )




def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: write-blocking statements, judged on each pending database."""
    return [finding for environment, conn in ctx.databases.items()
            for finding in run(revision, conn, environment, ctx.policy)]
