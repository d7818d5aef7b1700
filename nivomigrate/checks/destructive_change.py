"""destructive-change: a revision that drops a table or column, truncates, or narrows a type,
without an acknowledgement in its file.

Problem: a drop cannot be undone by a downgrade; the data is gone from every environment it
is promoted to, and the numbers differ a lot between staging and production.
Do instead: make sure nothing needs the data (copy it away if it might), then acknowledge it in
the revision, e.g. `# nivomigrate: ack destructive-change "Log.legacyField" -- moved to Archive`;
the acknowledged finding stays in the report (INFO) with what each environment loses.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nivomigrate.checks.blocking_lock_on_large_table import table_size
from nivomigrate.findings import Finding, Severity
from nivomigrate.sizes import format_bytes, format_rows

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import Change, RevisionSQL

NAME = "destructive-change"
EXACT_COUNT_MAX_ROWS = 1_000_000
COLUMN_TYPE_SQL = """
select format_type(a.atttypid, a.atttypmod)
from pg_attribute a
where a.attrelid = to_regclass(quote_ident(%s)) and a.attname = %s and not a.attisdropped
"""
COLUMN_STATS_SQL = """
select s.null_frac, s.avg_width from pg_stats s
where s.tablename = %s and s.attname = %s and s.schemaname = any(current_schemas(false))
limit 1
"""
_INTEGER_RANK = {"smallint": 1, "integer": 2, "bigint": 3}
_FLOAT_RANK = {"real": 1, "double precision": 2}
_TYPE_ALIASES = {"int": "integer", "int4": "integer", "int2": "smallint", "int8": "bigint",
                 "float8": "double precision", "float4": "real", "float": "double precision",
                 "character varying": "varchar", "bool": "boolean"}


def run(revision: RevisionSQL, databases: dict[str, psycopg.Connection]) -> list[Finding]:
    """Flag each destructive change, with what every database in `databases` would lose."""
    findings, created = [], revision.created_tables()
    for statement in revision.statements:
        for change in statement.changes:
            if change.table in created or change.kind not in {
                    "drop_table", "truncate", "drop_column", "alter_type"}:
                continue
            losses = {env: _loss(conn, change) for env, conn in databases.items()}
            if change.kind == "alter_type":
                narrowed = {env: loss for env, loss in losses.items() if loss[2]}
                if databases and not narrowed:
                    continue
                losses = narrowed or losses
            findings.append(_finding(revision, statement, change, losses))
    return findings


def _loss(conn: psycopg.Connection, change: Change) -> tuple[int | None, int | None, bool]:
    """Return (rows, bytes, is_narrowing) that `change` would lose in `conn`'s database."""
    size = table_size(conn, change.table)
    if size is None:
        return 0, 0, False
    rows, total = size
    if change.kind in {"drop_table", "truncate"}:
        return _exact_rows(conn, change.table, rows), total, True
    current = conn.execute(COLUMN_TYPE_SQL, (change.table, change.column)).fetchone()
    if current is None:
        return 0, 0, False
    narrowing = change.kind == "drop_column" or is_narrowing(current[0], change.detail)
    rows_with_values, column_bytes = _column_data(conn, change.table, change.column, rows)
    return rows_with_values, column_bytes, narrowing


def _exact_rows(conn, table: str, estimate: int | None) -> int | None:
    from psycopg import sql

    if estimate is not None and estimate > EXACT_COUNT_MAX_ROWS:
        return estimate
    return conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier(table))
                        ).fetchone()[0]


def _column_data(conn, table: str, column: str, rows: int | None) -> tuple[int | None, int | None]:
    from psycopg import sql

    if rows is not None and rows > EXACT_COUNT_MAX_ROWS:
        stats = conn.execute(COLUMN_STATS_SQL, (table, column)).fetchone()
        if stats is None:
            return rows, None
        kept = rows * (1 - stats[0])
        return int(kept), int(kept * stats[1])
    query = sql.SQL("select count({col}), coalesce(sum(pg_column_size({col})), 0) from {t}").format(
        col=sql.Identifier(column), t=sql.Identifier(table))
    count, size = conn.execute(query).fetchone()
    return count, int(size)


def is_narrowing(current: str, new: str) -> bool:
    """Tell whether changing a column from type `current` to `new` can lose or refuse values."""
    old_base, old_args = _type(current)
    new_base, new_args = _type(new)
    if old_base == new_base:
        if not new_args:
            return False
        if not old_args:
            return True
        return any(n < o for n, o in zip(new_args, old_args, strict=False))
    if old_base in _INTEGER_RANK and new_base in _INTEGER_RANK:
        return _INTEGER_RANK[new_base] < _INTEGER_RANK[old_base]
    if old_base in _FLOAT_RANK and new_base in _FLOAT_RANK:
        return _FLOAT_RANK[new_base] < _FLOAT_RANK[old_base]
    if new_base == "text" or (new_base == "varchar" and not new_args):
        return False
    if old_base in _INTEGER_RANK and new_base in {"numeric", "bigint"} and not new_args:
        return False
    return True


def _type(text: str) -> tuple[str, tuple[int, ...]]:
    text = re.sub(r"(?i)\s+USING\s.*$", "", text.strip()).lower()
    m = re.match(r"([a-z ]+?)\s*(?:\(([\d,\s]+)\))?\s*(\[\])?$", text)
    if not m:
        return text, ()
    base = _TYPE_ALIASES.get(m.group(1).strip(), m.group(1).strip())
    base = {"numeric": "numeric", "decimal": "numeric"}.get(base, base)
    args = tuple(int(x) for x in (m.group(2) or "").replace(" ", "").split(",") if x)
    return base + ("[]" if m.group(3) else ""), args


def _finding(revision, statement, change: Change, losses: dict) -> Finding:
    obj = f"{change.table}.{change.column}" if change.column else change.table
    what = {"drop_table": "drops table", "truncate": "empties table",
            "drop_column": "drops column", "alter_type": f"narrows to {change.detail} column"}
    evidence = [("statement", statement.sql)]
    for env, (rows, size, _) in losses.items():
        unit = "values" if change.column else "rows"
        rows_text = format_rows(rows).replace("rows", unit)
        evidence.append((env, f"{rows_text}, {format_bytes(size)}"))
    if not losses:
        evidence.append(("loss", "unknown: no database configured"))
    summary = "; ".join(f"{env}: {text}" for env, text in evidence[1:])
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=f'the revision {what[change.kind]} "{obj}" without an acknowledgement ({summary})',
        location=revision.location(statement, obj),
        help=(f'if the data is not needed (or copied away), acknowledge it in the revision: '
              f'# nivomigrate: ack destructive-change "{obj}" -- <reason>'),
        evidence=tuple(evidence),
    )


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: destructive changes, with each pending database's losses."""
    return run(revision, dict(ctx.databases))
