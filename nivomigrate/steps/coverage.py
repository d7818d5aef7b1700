"""Index coverage of the hot queries in policies/hot_queries.yaml, plus redundant indexes.

`coverage_findings` feeds the gate; `coverage_report` is the `nivomigrate coverage` command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Report, Section

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.hot_query_index import Coverage, IndexInfo
    from nivomigrate.checks.hot_query_plan import PlanVerdict
    from nivomigrate.checks.redundant_index import Redundancy
    from nivomigrate.config import Settings
    from nivomigrate.db import Target


@dataclass(frozen=True)
class CoverageResult:
    """Everything the coverage checks found on one database."""

    coverages: list[Coverage]
    verdicts: dict[str, PlanVerdict]
    redundant: list[Redundancy]
    invalid: list[IndexInfo]
    findings: list[Finding]


def examine_coverage(settings: Settings, conn: psycopg.Connection, *, with_plans: bool = True,
                     with_usage: bool = True) -> CoverageResult:
    """Run hot-query-index, hot-query-plan and redundant-index on `conn` (read-only).

    Args:
        with_plans: EXPLAIN the hot queries (false for a shadow database: with no data and
            no statistics, its plans are guesses).
        with_usage: report never-scanned indexes (false where no service queries).

    Raises:
        ConfigError: hot_queries.yaml is invalid.
    """
    from nivomigrate.checks import hot_query_index, hot_query_plan, redundant_index

    queries = hot_query_index.load_hot_queries(
        settings.policies_dir / hot_query_index.HOT_QUERIES_FILE)
    indexes = hot_query_index.read_indexes(conn)
    coverages = hot_query_index.assess(conn, queries, indexes)
    verdicts = hot_query_plan.explain_hot_queries(conn, queries, indexes) if with_plans else {}
    findings = [
        *hot_query_index.findings(coverages, indexes),
        *hot_query_plan.findings(coverages, verdicts),
        *redundant_index.findings(conn, indexes, with_usage),
    ]
    return CoverageResult(
        coverages=coverages,
        verdicts=verdicts,
        redundant=redundant_index.find_redundant(indexes),
        invalid=[index for index in indexes if not index.is_usable],
        findings=findings,
    )


def coverage_findings(settings: Settings, conn: psycopg.Connection, *, with_plans: bool = True,
                      with_usage: bool = True) -> list[Finding]:
    """Return the gate's coverage findings: a gap in a required hot query or an invalid index
    is an ERROR, a gap in an optional one and a redundant index a WARNING."""
    return examine_coverage(settings, conn, with_plans=with_plans, with_usage=with_usage).findings


def coverage_report(settings: Settings, target: Target) -> Report:
    """Check the hot queries and indexes of `target`; exit code 1 when anything blocks.

    Raises:
        ConfigError, RefusedConnectionError, DatabaseConnectionError: from settings and db.
    """
    from nivomigrate.db import SessionSettings, connection

    session = SessionSettings.from_timeouts(settings.timeouts)
    with connection(target, writes=False, session=session) as conn:
        result = examine_coverage(settings, conn)
    return _report(result, target)


def _report(result: CoverageResult, target: Target) -> Report:
    from nivomigrate.checks.redundant_index import human_bytes

    rows = tuple(
        (c.query.name + ("" if c.query.required else " (optional)"), c.query.service,
         c.query.table, c.index.name if c.index else c.verdict.upper(),
         result.verdicts[c.query.name].verdict if c.query.name in result.verdicts else "no sql")
        for c in result.coverages
    )
    sections = [Section("Hot queries", ("query", "service", "table", "covered by", "plan"),
                        rows)]
    fixes = list(dict.fromkeys(c.fix for c in result.coverages if c.fix))
    if fixes:
        sections.append(Section("Indexes that close the gaps", text="\n".join(fixes),
                                language="sql"))
    if result.redundant:
        sections.append(Section(
            "Redundant indexes", ("index", "table", "kept", "size"),
            tuple((r.index.name, r.index.table, r.kept.name, human_bytes(r.index.size_bytes))
                  for r in result.redundant)))
    gaps = [c for c in result.coverages if not c.is_covered]
    report = Report(
        command="coverage",
        title=f"Hot-query index coverage of {target.name}",
        findings=tuple(result.findings),
        sections=tuple(sections),
        data=coverage_data(result),
        notes=(f"{len(result.coverages) - len(gaps)} of {len(result.coverages)} hot queries "
               f"covered; {sum(c.query.required for c in gaps)} required gap(s), "
               f"{len(result.redundant)} redundant index(es), {len(result.invalid)} invalid",),
    )
    report.data["exit_code"] = 1 if report.is_blocked else 0
    return report


def coverage_data(result: CoverageResult) -> dict:
    """The machine-readable part of the JSON report (docs/coverage.md)."""
    return {
        "hot_queries": [
            {
                "name": c.query.name,
                "service": c.query.service,
                "table": c.query.table,
                "required": c.query.required,
                "covered": c.is_covered,
                "index": c.index.name if c.index else None,
                "problem": c.problem,
                "fix": c.fix,
                "plan": _plan(result.verdicts.get(c.query.name)),
            }
            for c in result.coverages
        ],
        "redundant_indexes": [
            {"index": r.index.name, "table": r.index.table, "kept": r.kept.name,
             "size_bytes": r.index.size_bytes, "drop": r.drop_statement}
            for r in result.redundant
        ],
        "invalid_indexes": [index.name for index in result.invalid],
    }


def _plan(verdict: PlanVerdict | None) -> dict | None:
    if verdict is None:
        return None
    return {
        "served": verdict.is_served,
        "summary": verdict.summary,
        "indexes": list(verdict.indexes),
        "index_cond": list(verdict.in_index_cond),
        "filter": list(verdict.in_filter),
        "sort": verdict.sort,
        "error": verdict.error,
    }
