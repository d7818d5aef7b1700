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
and now uses none of the table's (the last two on tables of 1000+ rows, where a plan is more
than the planner's guess). A drop that a plan uses and that cannot be simulated there
(HypoPG older than 1.4 on prod), or whose replacement index cannot, is "unproven" there: a
warning, never a pass: `plan staging` (and `lint staging`) prove it there with the rehearsal,
and block a real flip before staging runs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.checks.hot_query_plan import MIN_TELLING_ROWS
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
        queries = [q for q in ctx.hot_queries if q.name in simulation.before]
        unproven = {q: _unproven(revision, simulation, q) for q in queries}
        unproven = {q: reasons for q, reasons in unproven.items() if reasons}
        if unproven:
            found.append(_unproven_finding(revision, simulation, unproven))
        found += [f for q in queries if q not in unproven
                  for f in _judge(revision, simulation, q, ctx.policy)]
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
    telling = rows >= MIN_TELLING_ROWS  # below, a plan is the planner's guess
    if after.sort == "Sort" and before.sort is None and telling:
        found.append("a new Sort of every matching row (no index gives the order any more)")
    used = [index for index in before.indexes if index in simulation.dropped]
    if used and not after.indexes and telling:
        found.append(f"it used {', '.join(used)}, which the revision drops, and now uses no "
                     "index")
    return found


def _unproven_finding(revision, simulation: Simulation,
                      unproven: dict[HotQuery, list[str]]) -> Finding:
    """One warning per database: the hot queries whose plan after the drop is not known."""
    first = next(iter(unproven))
    return Finding(
        check=NAME, severity=Severity.WARNING,
        message=f"unproven on {simulation.environment}: {len(unproven)} hot "
        f"quer{'y uses' if len(unproven) == 1 else 'ies use'} an index the revision drops, "
        "and the change cannot be simulated there",
        location=revision.location(_statement(revision, first.table), first.table),
        help="staging's own run proves the drop there (a rolled-back rehearsal); to simulate "
        f"it on {simulation.environment} too, install HypoPG 1.4+ there (hypopg_hide_index) "
        "before the next plan",
        evidence=tuple((query.name, "; ".join(reasons)) for query, reasons in unproven.items()),
        environment=simulation.environment)


def _judge(revision, simulation, query, policy) -> list[Finding]:
    statement = _statement(revision, query.table)
    location = revision.location(statement, f"{query.table} ({query.name})")
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


def _unproven(revision, simulation, query) -> list[str]:
    """Why "after" is not known for `query` when it uses a dropped index: the drop or a new
    index of its table could not be simulated here."""
    used = [i for i in simulation.before[query.name].indexes if i in simulation.dropped]
    if not used:
        return []
    reasons = [f"{index} cannot be hidden: {simulation.unproven[index]}" for index in used
               if index in simulation.unproven]
    reasons += [f"new index {index.name} could not be simulated: {simulation.unproven[index.name]}"
                for index in index_changes(revision).created
                if index.table == query.table and index.name in simulation.unproven]
    return reasons


def _statement(revision: RevisionSQL, table: str):
    """The first statement changing an index of `table` (for the finding's line)."""
    changes = index_changes(revision)
    for change in (*changes.dropped, *changes.created):
        if change.table in (table, None):
            return change.statement
    return None
