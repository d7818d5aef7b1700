"""hot-query-plan-change: a revision must not make a hot query's plan worse.

Problem: dropping an index (or a constraint and its index) that a hot query's plan uses turns
the query into a sequential scan or a sort of every matching row: staging's small tables hide
it, production's large ones show it as an outage.
Do instead: keep the index, or first add the one that replaces it (CONCURRENTLY, in an earlier
revision) and drop the old one once the plans use the new one.

For every database the revision is pending on, the hot queries of the tables whose indexes it
changes are explained (generic plans) before and after the change, without changing anything
(nivomigrate/checks/hypothetical.py: HypoPG for new indexes, hypopg_hide_index or a rolled-back
rehearsal on staging for dropped ones). It blocks on: a new sequential scan of a table above
the policy's `large_table` size there, a new Sort (the index no longer gives the order, so
every matching row is read and sorted before the LIMIT), or a plan that used a dropped index
and now uses none of the table's. A drop that a plan uses and that cannot be simulated there
(HypoPG older than 1.4 on prod) is "unproven" and blocks unless acknowledged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.checks.hypothetical import index_changes, simulation_for
from nivomigrate.findings import Finding, Severity
from nivomigrate.sizes import format_bytes

if TYPE_CHECKING:
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.hypothetical import Simulation
    from nivomigrate.checks.revision_sql import RevisionSQL
    from nivomigrate.policies.hot_queries import HotQuery
    from nivomigrate.policies.promotion import PromotionPolicy

NAME = "hot-query-plan-change"


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: every hot query made worse, on every pending database."""
    if not ctx.hot_queries or not index_changes(revision):
        return []
    found = []
    for environment, conn in ctx.databases.items():
        simulation = simulation_for(revision, ctx, environment, conn)
        if simulation is None:
            continue
        for query in ctx.hot_queries:
            if query.name in simulation.before:
                found += _judge(revision, simulation, query, ctx.policy)
    return found


def regressions(simulation: Simulation, query: HotQuery, policy: PromotionPolicy) -> list[str]:
    """Say how the plan of `query` got worse; [] when it did not."""
    before, after = simulation.before[query.name], simulation.after[query.name]
    if before.error or after.error:
        return []
    rows, size = simulation.sizes.get(query.table, (0, 0))
    large = rows >= policy.large_table_rows or size >= policy.large_table_bytes
    found = []
    if after.has_seq_scan and not before.has_seq_scan and large:
        found.append(f'a new sequential scan of "{query.table}" ({rows} rows, '
                     f"{format_bytes(size)} on {simulation.environment})")
    if after.sort == "Sort" and before.sort is None:
        found.append("a new Sort of every matching row (no index gives the order any more)")
    used = [index for index in before.indexes if index in simulation.dropped]
    if used and not after.indexes:
        found.append(f"it used {', '.join(used)}, which the revision drops, and now uses no "
                     "index")
    return found


def _judge(revision, simulation, query, policy) -> list[Finding]:
    used = [i for i in simulation.before[query.name].indexes if i in simulation.unproven]
    statement = _statement(revision, query.table)
    location = revision.location(statement, f"{query.table} ({query.name})")
    if used:
        return [Finding(
            check=NAME, severity=Severity.ERROR,
            message=f"unproven on {simulation.environment}: hot query {query.name!r} uses "
            f"{', '.join(used)}, which the revision drops ({simulation.unproven[used[0]]})",
            location=location,
            help="plan staging first (its rolled-back rehearsal proves the drop), use HypoPG "
            f"1.4+ here, or acknowledge: # nivomigrate: ack {NAME} \"{location.object}\" -- why",
            evidence=(("query", query.source or query.where),
                      ("plan today", simulation.before[query.name].plan)),
            environment=simulation.environment)]
    worse = regressions(simulation, query, policy)
    if not worse:
        return []
    return [Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"hot query {query.name!r} gets a worse plan on {simulation.environment}: "
        + "; ".join(worse),
        location=location,
        help="keep the index, or add its replacement CONCURRENTLY in an earlier revision and "
        "drop the old one once the plans use the new one",
        evidence=(("query", query.source or query.where),
                  ("plan before", simulation.before[query.name].plan),
                  ("plan after", simulation.after[query.name].plan),
                  ("simulated with", simulation.method)),
        environment=simulation.environment)]


def _statement(revision: RevisionSQL, table: str):
    """The first statement changing an index of `table` (for the finding's line)."""
    changes = index_changes(revision)
    for change in (*changes.dropped, *changes.created):
        if change.table in (table, None):
            return change.statement
    return None
