"""new-index-used: a new index must be the one each database's planner picks for the hot
queries it is for.

Problem: an index built for a hot query that the planner, with production's statistics, does
not choose (a low-selectivity leading column, a type or order it cannot use) costs a build, a
lock and write amplification, and the query stays slow.
Do instead: read the plan in the evidence; put the selective equality columns first, match
the query's ORDER BY, or drop the index from the revision.

The revision's new indexes on existing tables are created hypothetically with HypoPG on every
database the revision is pending on (never installed by nivomigrate; read-only, backend-local)
and the hot queries they are for (same table, the index's first column among the query's
equality columns or its first order/range column) are explained with that database's
statistics. An index the plan does not use blocks. Where HypoPG is absent, or the index is on a
column the revision adds, the result is "unproven" (a warning), never "passed".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.checks.hypothetical import index_changes, simulation_for
from nivomigrate.findings import Finding, Severity

if TYPE_CHECKING:
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.hypothetical import NewIndex, Simulation
    from nivomigrate.checks.revision_sql import RevisionSQL
    from nivomigrate.policies.hot_queries import HotQuery

NAME = "new-index-used"


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: each new index against the hot queries it serves, per database."""
    created = index_changes(revision).created
    if not ctx.hot_queries or not created:
        return []
    found = []
    for environment, conn in ctx.databases.items():
        simulation = simulation_for(revision, ctx, environment, conn)
        if simulation is None:
            continue
        for index in created:
            served = [q for q in ctx.hot_queries if q.name in simulation.after
                      and is_for(index, q)]
            if served:
                found += _judge(revision, simulation, index, served)
    return found


def is_for(index: NewIndex, query: HotQuery) -> bool:
    """Tell whether `index` is meant for `query`: same table, and its first key column is one
    of the query's equality columns or its first order/range column."""
    if index.table != query.table or not index.columns or index.columns[0] is None:
        return False
    tail = [key.column for key in query.tail[:1]]
    return index.columns[0] in (*query.equality, *tail)


def _judge(revision, simulation: Simulation, index: NewIndex,
           served: list[HotQuery]) -> list[Finding]:
    location = revision.location(index.statement, index.name)
    environment = simulation.environment
    if index.name in simulation.unproven:
        return [Finding(
            check=NAME, severity=Severity.WARNING,
            message=f"unproven on {environment}: whether the planner uses {index.name} for "
            f"{', '.join(q.name for q in served)} ({simulation.unproven[index.name]})",
            location=location,
            help="plan again once the columns exist there, or with HypoPG installed (Supabase "
            "ships it: CREATE EXTENSION hypopg, by its owner)",
            environment=environment)]
    hypothetical = simulation.created[index.name]
    unused = [q for q in served if hypothetical not in simulation.after[q.name].indexes
              and not simulation.after[q.name].error]
    return [Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"the planner on {environment} would not use new index {index.name} for hot "
        f"query {query.name!r}, with {environment}'s statistics",
        location=location,
        help="put the selective equality columns first and match the query's ORDER BY, or "
        "drop the index from the revision; acknowledge a proven false alarm: "
        f'# nivomigrate: ack {NAME} "{index.name}" -- why',
        evidence=(("index", index.sql), ("query", query.source or query.where),
                  ("plan with the index", simulation.after[query.name].plan),
                  ("simulated with", simulation.method)),
        environment=environment) for query in unused]
