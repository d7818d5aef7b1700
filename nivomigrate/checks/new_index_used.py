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
statistics. An index that no plan of the queries it is for uses blocks. Where HypoPG is absent,
or the index is on a column the revision adds, the result is "unproven" (a warning), never
"passed"; on a table with fewer than 1000 rows or no statistics the planner's choice says
nothing and it is "unproven" too (INFO). Without HypoPG, staging's rolled-back rehearsal
builds the new indexes of small tables for real (nivomigrate/checks/hypothetical.py).

Facts before judgement: when the index's leading column holds one distinct value on the
database judged (`pg_stats.n_distinct`: a staging with one project) and more on another
database of the run (prod), or no other database tells, that database's statistics cannot
speak for prod's: a plan without the index there is "unproven" (a warning), not a block.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.checks.hot_query_plan import MIN_TELLING_ROWS
from nivomigrate.checks.hypothetical import index_changes, simulation_for
from nivomigrate.findings import Finding, Severity

if TYPE_CHECKING:
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.hypothetical import NewIndex, Simulation
    from nivomigrate.checks.revision_sql import RevisionSQL
    from nivomigrate.policies.hot_queries import HotQuery

NAME = "new-index-used"
_DISTINCT_SQL = """
select s.n_distinct, c.reltuples from pg_stats s
join pg_class c on c.relname = s.tablename
join pg_namespace n on n.oid = c.relnamespace and n.nspname = s.schemaname
where s.schemaname = any(current_schemas(false)) and s.tablename = %s and s.attname = %s
"""


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: each new index against the hot queries it serves, per database."""
    created = index_changes(revision).created
    if not ctx.hot_queries or not created:
        return []
    found = []
    for environment, conn in ctx.databases.items():
        simulation = simulation_for(revision, ctx, environment, conn)
        if simulation is not None:
            judged = _judge_database(revision, simulation, created, ctx.hot_queries)
            found += [_unless_degenerate(f, created, environment, ctx.databases)
                      for f in judged]
    return found


def distinct_values(conn, table: str, column: str) -> float | None:
    """Return the planner's estimate of `column`'s distinct values (pg_stats.n_distinct, a
    negative fraction turned into a count); None without statistics."""
    row = conn.execute(_DISTINCT_SQL, (table, column)).fetchone()
    if row is None or row[0] is None:
        return None
    n_distinct, rows = row
    return n_distinct if n_distinct >= 0 else -n_distinct * max(rows, 0)


def _unless_degenerate(finding: Finding, created, environment: str, databases) -> Finding:
    """A block whose index leads with a column of one distinct value on `environment`, and of
    more elsewhere (or nowhere else known), becomes "unproven": that planner's choice says
    nothing about the other database's."""
    from dataclasses import replace

    index = next((i for i in created if i.name == finding.location.object), None)
    if not finding.is_blocking or index is None or not index.columns or not index.columns[0]:
        return finding
    column = index.columns[0]
    here = distinct_values(databases[environment], index.table, column)
    if here is None or here > 1:
        return finding
    elsewhere = {env: distinct_values(conn, index.table, column)
                 for env, conn in databases.items() if env != environment}
    known = {env: count for env, count in elsewhere.items() if count is not None}
    if known and all(count <= 1 for count in known.values()):
        return finding  # one value everywhere: the same statistics, the same choice
    there = ", ".join(f"~{count:.0f} on {env}" for env, count in known.items()) or \
        "no other database to compare"
    return replace(
        finding, severity=Severity.WARNING,
        message=f"unproven on {environment}: whether the planner uses {index.name} "
        f"({column} has one distinct value on {environment}, {there}: {environment}'s "
        "statistics cannot speak for prod's)",
        help="plan prod, whose statistics judge it (nivomigrate plan prod); or give staging "
        f"data with more than one {column}")


def _judge_database(revision, simulation: Simulation, created, queries) -> list[Finding]:
    served = {index: [q for q in queries if q.name in simulation.after and is_for(index, q)]
              for index in created if index.table in simulation.sizes}
    served = {index: found for index, found in served.items() if found}
    blind = [i for i in served if simulation.hypopg is None and i.name not in simulation.created]
    small = [i for i in served if i not in blind
             and simulation.sizes[i.table][0] < MIN_TELLING_ROWS]
    findings = [_unproven_together(
        revision, simulation, blind, "HypoPG is not installed there",
        fix=f"install HypoPG on {simulation.environment} (Supabase ships it: CREATE EXTENSION "
        "hypopg, by its owner; nivomigrate never installs it), then plan "
        f"{simulation.environment} again")] if blind else []
    if small:
        findings.append(_unproven_together(
            revision, simulation, small, f"fewer than {MIN_TELLING_ROWS} rows or no statistics: "
            "the planner's choice says nothing",
            fix="nothing to do while the table is small; on a large one, ANALYZE it so that "
            "the planner has statistics, then plan again", severity=Severity.INFO))
    for index, found in served.items():
        if index not in blind and index not in small:
            findings += _judge(revision, simulation, index, found)
    return findings


def is_for(index: NewIndex, query: HotQuery) -> bool:
    """Tell whether `index` is meant for `query`: same table, and its first key column is one
    of the query's equality columns or its first order/range column."""
    if index.table != query.table or not index.columns or index.columns[0] is None:
        return False
    tail = [key.column for key in query.tail[:1]]
    return index.columns[0] in (*query.equality, *tail)


def _unproven_together(revision, simulation: Simulation, indexes: list[NewIndex], why: str,
                       fix: str, severity: Severity = Severity.WARNING) -> Finding:
    """One finding per database for the new indexes it cannot judge, and why."""
    environment = simulation.environment
    return Finding(
        check=NAME, severity=severity,
        message=f"unproven on {environment}: whether the planner uses "
        f"{', '.join(index.name for index in indexes)} ({why})",
        location=revision.location(indexes[0].statement, indexes[0].table),
        help=fix, environment=environment)


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
    plans = {q.name: simulation.after[q.name] for q in served}
    if any(hypothetical in plan.indexes for plan in plans.values()) or all(
            plan.error for plan in plans.values()):
        return []
    return [Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"the planner on {environment} would not use new index {index.name} for any "
        f"hot query it is for ({', '.join(plans)}), with {environment}'s statistics",
        location=location,
        help="put the selective equality columns first and match the query's ORDER BY, or "
        "drop the index from the revision; acknowledge a proven false alarm: "
        f'# nivomigrate: ack {NAME} "{index.name}" -- why',
        evidence=(("index", index.sql),
                  *((f"plan of {name}", plan.plan or plan.error or "")
                    for name, plan in plans.items()),
                  ("simulated with", simulation.method)),
        environment=environment)]
