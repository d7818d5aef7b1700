"""The `nivomigrate coverage` command: hot queries without an index, redundant indexes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.coverage import CoverageResult, examine_coverage
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:

    from nivomigrate.checks.hot_query_plan import PlanVerdict
    from nivomigrate.config import Settings
    from nivomigrate.db import Target


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
    from nivomigrate.sizes import format_bytes

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
            tuple((r.index.name, r.index.table, r.kept.name, format_bytes(r.index.size_bytes))
                  for r in result.redundant)))
    gaps = [c for c in result.coverages if not c.is_covered]
    return Report(
        command="coverage",
        title=f"Hot-query index coverage of {target.name}",
        findings=tuple(result.findings),
        sections=tuple(sections),
        data=_data(result),
        notes=(f"{len(result.coverages) - len(gaps)} of {len(result.coverages)} hot queries "
               f"covered; {sum(c.query.required for c in gaps)} required gap(s), "
               f"{len(result.redundant)} redundant index(es), {len(result.invalid)} invalid",),
    )


def _data(result: CoverageResult) -> dict:
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
