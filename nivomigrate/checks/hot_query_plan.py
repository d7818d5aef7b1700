"""hot-query-plan: ask the planner how it would run each hot query's SQL, and compare.

Problem: the catalog rules of hot-query-index can be right and the query still slow: a
parameter of another type than the column, a collation, an expression spelled differently in
the code. And a query the code no longer can run (a renamed column) shows up here first.
Do instead: read the plan in the finding's evidence; fix the index or the query.

Each hot query with `sql` is PREPAREd in a read-only transaction that is rolled back, with
`plan_cache_mode = force_generic_plan` (PostgreSQL 15 has no EXPLAIN (GENERIC_PLAN): EXECUTE
with NULL parameters then plans for any value, not for NULL) and `enable_seqscan = off` (a
small staging table would otherwise always be scanned), explained with `EXPLAIN (FORMAT JSON)
EXECUTE ...(NULL, ...)`, and DEALLOCATEd. The verdict says whether every equality column
reaches an Index Cond (not a Filter) on the query's table and whether a Sort node remains.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import CoverageContext
    from nivomigrate.checks.hot_query_index import Coverage
    from nivomigrate.indexes import IndexInfo
    from nivomigrate.policies.hot_queries import HotQuery

NAME = "hot-query-plan"
_PARAMETER_TYPES_SQL = (
    "select cardinality(parameter_types) from pg_prepared_statements where name = %s"
)


@dataclass(frozen=True)
class PlanVerdict:
    """What the generic plan of one hot query does on its table."""

    query: str
    indexes: tuple[str, ...] = ()  # indexes of the query's table the plan scans
    in_index_cond: tuple[str, ...] = ()  # equality columns bound by an Index Cond
    in_filter: tuple[str, ...] = ()  # equality, range or order columns left to a Filter
    has_seq_scan: bool = False
    sort: str | None = None  # "Sort" or "Incremental Sort" when one remains
    needs_order: bool = False
    error: str | None = None
    plan: str = ""
    has_statistics: bool = True  # False: never analysed or too small, the plan is a guess

    @property
    def is_served(self) -> bool:
        """Every equality column in an Index Cond, no seq scan, and no Sort when ordered."""
        return (self.error is None and not self.has_seq_scan and not self.in_filter
                and bool(self.indexes) and not (self.needs_order and self.sort))

    @property
    def verdict(self) -> str:
        """A few words for a table cell: `ok`, or what is wrong (`sort`, `filter: level`)."""
        if self.error:
            return "error"
        if self.is_served:
            return "ok"
        problems = ["seq scan"] if self.has_seq_scan else []
        problems += [f"filter: {', '.join(self.in_filter)}"] if self.in_filter else []
        problems += [self.sort.lower()] if self.needs_order and self.sort else []
        return "; ".join(problems or ["no index"])

    @property
    def summary(self) -> str:
        if self.error:
            return f"error: {self.error}"
        parts = []
        if self.has_seq_scan:
            parts.append("seq scan")
        if self.indexes:
            parts.append("index " + ", ".join(self.indexes))
        if self.in_filter:
            parts.append("filter on " + ", ".join(self.in_filter))
        if self.needs_order:
            parts.append(self.sort.lower() if self.sort else "no sort")
        return ("ok: " if self.is_served else "not served: ") + "; ".join(parts or ["no scan"])


def explain_hot_queries(conn: psycopg.Connection, queries: list[HotQuery],
                        indexes: list[IndexInfo]) -> dict[str, PlanVerdict]:
    """Return the plan verdict of each hot query that has SQL, by name."""
    tables = {index.name: index.table for index in indexes}
    analysed = _analysed_tables(conn)
    verdicts = {}
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        cur.execute("SET TRANSACTION READ ONLY")
        cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cur.execute("SET LOCAL enable_seqscan = off")
        for number, query in enumerate(q for q in queries if q.sql):
            plan, error = explain_generic(conn, cur, f"nivomigrate_hot_query_{number}", query.sql)
            verdict = plan_verdict(query, plan, error, tables)
            verdicts[query.name] = replace(verdict, has_statistics=query.table in analysed)
    return verdicts


# Below this many rows the planner's choice among indexes says little about production.
MIN_TELLING_ROWS = 1000
# The app's tables (the catalog floor's managed.sql, `catalog.query`) whose statistics say
# they have enough rows: the planner's estimate (reltuples), which no catalog row keeps.
_ANALYSED_SQL = """
select c.relname::text
from managed_table c
join pg_class s on s.oid = c.oid
where c.relkind in ('r', 'p') and s.reltuples >= %(min_rows)s
"""


def _analysed_tables(conn: psycopg.Connection) -> set[str]:
    from nivomigrate import catalog

    with conn.cursor() as cur:
        rows = cur.execute(catalog.query(_ANALYSED_SQL), catalog.managed_parameters(cur)
                           | {"min_rows": MIN_TELLING_ROWS}).fetchall()
        return {name for (name,) in rows}


def explain_generic(conn, cur, name: str, text: str) -> tuple[dict | None, str | None]:
    """Return the generic plan of `text` (JSON root node), or None and the error's first line."""
    import psycopg
    from psycopg import sql

    prepared = False
    try:
        with conn.transaction():  # a savepoint: a failing query leaves the others running
            # binary=True: the extended protocol, which refuses a second statement in `text`.
            cur.execute(sql.SQL("PREPARE {} AS ").format(sql.Identifier(name))
                        + sql.SQL(text.strip().rstrip(";")), binary=True)
            prepared = True
            count = cur.execute(_PARAMETER_TYPES_SQL, (name,)).fetchone()[0] or 0
            arguments = sql.SQL("({})").format(sql.SQL(", ").join([sql.NULL] * count)) \
                if count else sql.SQL("")
            row = cur.execute(sql.SQL("EXPLAIN (FORMAT JSON) EXECUTE {}{}").format(
                sql.Identifier(name), arguments)).fetchone()
    except psycopg.Error as exc:
        return None, (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    finally:
        if prepared:
            cur.execute(sql.SQL("DEALLOCATE {}").format(sql.Identifier(name)))
    document = row[0] if isinstance(row[0], list) else json.loads(row[0])
    return document[0]["Plan"], None


def plan_verdict(query: HotQuery, plan: dict | None, error: str | None,
             tables: dict[str, str]) -> PlanVerdict:
    """Judge one plan; `tables` maps index names (hypothetical ones too) to their table."""
    if plan is None:
        return PlanVerdict(query.name, error=error, needs_order=bool(query.tail))
    nodes = list(_walk(plan))
    own = [node for node in nodes if node.get("Relation Name") == query.table
           or tables.get(node.get("Index Name", "")) == query.table]
    index_conds = " ".join(node.get("Index Cond", "") for node in own)
    filters = " ".join(node.get("Filter", "") + " " + node.get("Recheck Cond", "")
                       for node in own)
    bound = tuple(c for c in query.equality if _binds(index_conds, c))
    tail = [key.column for key in query.tail]
    filtered = [c for c in query.equality if c not in bound and _binds(filters, c)]
    filtered += [c for c in tail if _mentions(filters, c) and not _mentions(index_conds, c)]
    sort = next((node["Node Type"] for node in nodes
                 if node["Node Type"] in {"Sort", "Incremental Sort"}), None)
    return PlanVerdict(
        query=query.name,
        indexes=tuple(dict.fromkeys(node["Index Name"] for node in own if "Index Name" in node)),
        in_index_cond=bound,
        in_filter=tuple(filtered),
        has_seq_scan=any(node["Node Type"] == "Seq Scan" for node in own),
        sort=sort,
        needs_order=bool([key for key in query.order if key.column not in query.equality]),
        plan=_outline(plan),
    )


def _walk(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def _binds(condition: str, column: str) -> bool:
    """Tell whether `condition` (EXPLAIN text) compares `column` with `=`."""
    name = re.escape(column)
    pattern = rf'(?<![\w"])(?:"?\w+"?\.)?(?:"{name}"|{name})(?![\w"])\s*='
    return re.search(pattern, condition) is not None


def _mentions(condition: str, column: str) -> bool:
    """Tell whether `condition` (EXPLAIN text) names `column`."""
    name = re.escape(column)
    return re.search(rf'(?<![\w"])(?:"{name}"|{name})(?![\w"])', condition) is not None


def _outline(node: dict, depth: int = 0) -> str:
    """Return the plan as indented lines: node type, relation or index, conditions."""
    what = node.get("Index Name") or node.get("Relation Name") or ""
    line = "  " * depth + node["Node Type"] + (f" on {what}" if what else "")
    for label in ("Index Cond", "Filter", "Sort Key"):
        if node.get(label):
            value = node[label]
            line += f" [{label}: {', '.join(value) if isinstance(value, list) else value}]"
    return "\n".join([line, *(_outline(child, depth + 1) for child in node.get("Plans", []))])


def findings(coverages: list[Coverage], verdicts: dict[str, PlanVerdict]) -> list[Finding]:
    """Report hot queries that do not prepare, and where catalog and plan disagree."""
    found = []
    for coverage in coverages:
        verdict = verdicts.get(coverage.query.name)
        if verdict is None:
            continue
        if verdict.error:
            found.append(_finding(coverage, verdict, Severity.WARNING,
                                  f"the SQL of hot query {coverage.query.name!r} does not "
                                  f"prepare: {verdict.error}",
                                  "update `sql` in hot_queries.yaml to what the service sends "
                                  "now, or fix the revision that broke it"))
        elif coverage.is_covered and not verdict.is_served and not _unique_hit(coverage, verdict):
            guess = "" if verdict.has_statistics else (
                f" ({coverage.query.table} has no statistics or fewer than "
                f"{MIN_TELLING_ROWS} rows, so the plan is a guess)")
            found.append(_finding(coverage, verdict,
                                  Severity.WARNING if verdict.has_statistics else Severity.INFO,
                                  f"catalog and plan disagree on hot query "
                                  f"{coverage.query.name!r}: {coverage.index.name} should serve "
                                  f"it, but the generic plan is {verdict.summary}{guess}",
                                  "compare the parameter types and expressions of the SQL with "
                                  "the index (a cast or collation keeps an index out); "
                                  "ANALYZE the table if it has no statistics"))
        elif not coverage.is_covered and verdict.is_served:
            found.append(_finding(coverage, verdict, Severity.INFO,
                                  f"catalog and plan disagree on hot query "
                                  f"{coverage.query.name!r}: no index meets the rules, but the "
                                  f"generic plan is {verdict.summary}",
                                  "the planner may combine indexes or lack statistics; the "
                                  "catalog rule stands: add the index it names"))
    return found


def _unique_hit(coverage: Coverage, verdict: PlanVerdict) -> bool:
    """A unique index bound by equality: a Filter on the single row it returns is harmless."""
    index = coverage.index
    return (index is not None and index.is_unique and not verdict.has_seq_scan
            and all(key.column in verdict.in_index_cond for key in index.keys)
            and not (verdict.needs_order and verdict.sort))


def _finding(coverage: Coverage, verdict: PlanVerdict, severity: Severity, message: str,
             help_text: str) -> Finding:
    return Finding(
        check=NAME,
        severity=severity,
        message=message,
        location=Location(object=f"{coverage.query.table} ({coverage.query.name})"),
        help=help_text,
        evidence=(("query", coverage.query.source or coverage.query.where),
                  ("plan", verdict.plan or verdict.error or "")),
    )


def run(conn: psycopg.Connection, queries: list[HotQuery]) -> list[Finding]:
    """Explain the hot queries on `conn` and report disagreements with the catalog."""
    from nivomigrate.checks.hot_query_index import assess
    from nivomigrate.indexes import read_indexes

    indexes = read_indexes(conn)
    return findings(assess(conn, queries, indexes), explain_hot_queries(conn, queries, indexes))


def check(ctx: CoverageContext) -> list[Finding]:
    """The registry's entry: hot queries whose plan does not use the index that serves them."""
    return findings(ctx.coverages, ctx.verdicts)
