"""Index coverage of the hot queries in policies/hot_queries.yaml, plus redundant indexes.

`coverage_findings` feeds the gate (plan, apply's verification); the `nivomigrate coverage`
command reports `examine_coverage`'s whole result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.hot_query_index import Coverage
    from nivomigrate.checks.hot_query_plan import PlanVerdict
    from nivomigrate.checks.redundant_index import Redundancy
    from nivomigrate.config import Settings
    from nivomigrate.indexes import IndexInfo


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
            no statistics, its plans are guesses; nor are its grants a real environment's,
            so the access checks skip it).
        with_usage: report never-scanned indexes (false where no service queries).

    Raises:
        ConfigError: hot_queries.yaml is invalid.
    """
    from nivomigrate.checks import COVERAGE_CHECKS, hot_query_index, hot_query_plan, redundant_index
    from nivomigrate.checks.context import CoverageContext
    from nivomigrate.indexes import read_indexes
    from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
    from nivomigrate.policies.services import load_service_map

    queries = load_hot_queries(settings.policies_dir / HOT_QUERIES_FILE)
    indexes = read_indexes(conn)
    coverages = hot_query_index.assess(conn, queries, indexes)
    verdicts = hot_query_plan.explain_hot_queries(conn, queries, indexes) if with_plans else {}
    context = CoverageContext(conn, queries, indexes, coverages, verdicts, with_usage,
                              load_service_map(settings.policies_dir), is_shadow=not with_plans)
    findings = [finding for check in COVERAGE_CHECKS for finding in check.check(context)]
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
