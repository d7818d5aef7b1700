"""The hot queries' plans before and after a revision's index changes, on one database, which
is left as it was. Read by the hot-query-plan-change and new-index-used checks.

"After" is obtained without building or dropping anything for real:
- new indexes are created hypothetically with HypoPG (`hypopg_create_index`: backend-local,
  allowed in a READ ONLY transaction, seen only by plain EXPLAIN), so the database's own
  planner and statistics judge them; nivomigrate never runs CREATE EXTENSION;
- a dropped index needs proof only when a hot query's plan uses it today (an index no plan
  uses cannot change a plan by going away); it is hidden with `hypopg_hide_index` (HypoPG
  1.4+), else, where a rehearsal is allowed (staging), dropped for real inside a transaction
  that is rolled back (DROP INDEX is transactional; lock_timeout bounds the wait), else the
  proof is "unproven"; without HypoPG, that rehearsal also builds the new indexes for real
  (plain CREATE INDEX, rolled back) on tables under REHEARSAL_MAX_ROWS rows;
- an index on a column the revision adds cannot be made hypothetically: "unproven".
Plans are generic (`plan_cache_mode = force_generic_plan`, as hot-query-plan does) but, unlike
hot-query-plan, with `enable_seqscan` left on: a change of plan is judged on the costs the
database's statistics give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nivomigrate.quoting import identifier
from nivomigrate.sizes import table_sizes

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.hot_query_plan import PlanVerdict
    from nivomigrate.checks.revision_sql import RevisionSQL, Statement
    from nivomigrate.policies.hot_queries import HotQuery
    from nivomigrate.sql import exp

HIDE_VERSION = (1, 4)
REHEARSAL_LOCK_TIMEOUT = "1s"
REHEARSAL_MAX_ROWS = 100_000   # without HypoPG, a rehearsal builds a new index only below this
_NO_HYPOPG = "HypoPG is not installed here (never installed by nivomigrate)"
_HYPOPG_SQL = "select extversion from pg_extension where extname = 'hypopg'"


@dataclass(frozen=True)
class NewIndex:
    """A CREATE INDEX of the revision on a table that exists before it."""

    name: str
    table: str
    columns: tuple[str | None, ...]   # key columns in order; None for an expression
    sql: str                          # the statement without CONCURRENTLY / IF NOT EXISTS
    statement: Statement


@dataclass(frozen=True)
class DroppedIndex:
    """A DROP INDEX, or a DROP CONSTRAINT that drops the constraint's index."""

    name: str
    table: str | None
    is_constraint: bool
    statement: Statement


@dataclass(frozen=True)
class IndexChanges:
    created: tuple[NewIndex, ...] = ()
    dropped: tuple[DroppedIndex, ...] = ()

    @property
    def tables(self) -> set[str]:
        """The tables named in the statements (a DROP INDEX names none: see the catalog)."""
        return {i.table for i in self.created} | {d.table for d in self.dropped if d.table}

    def __bool__(self) -> bool:
        return bool(self.created or self.dropped)


@dataclass(frozen=True)
class Simulation:
    """The plans of the hot queries on the changed tables, before and after, on one database."""

    environment: str
    method: str                          # "HypoPG 1.3.1", "rolled-back rehearsal ..., HypoPG ..."
    hypopg: str | None                   # HypoPG's version there; None when not installed
    before: dict[str, PlanVerdict]
    after: dict[str, PlanVerdict]
    created: dict[str, str] = field(default_factory=dict)   # revision's name -> name in plans
    dropped: dict[str, str] = field(default_factory=dict)   # index name -> its DROP's name
    unproven: dict[str, str] = field(default_factory=dict)  # index name -> why
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (rows, bytes)


def index_changes(revision: RevisionSQL) -> IndexChanges:
    """Return the revision's new and dropped indexes on tables it does not create (parsed
    once per revision: the plan checks ask for them often)."""
    key = (revision.revision.id, revision.text)
    if key not in _CHANGES:
        _CHANGES.clear()  # one revision at a time: keep only the latest
        _CHANGES[key] = _parse_index_changes(revision)
    return _CHANGES[key]


_CHANGES: dict[tuple[str, str], IndexChanges] = {}


def _parse_index_changes(revision: RevisionSQL) -> IndexChanges:
    from nivomigrate.sql import exp, name, parse
    created_tables = revision.created_tables()
    created, dropped = [], []
    for statement in revision.statements:
        tree = parse(statement.sql)
        if isinstance(tree, exp.Create) and tree.kind == "INDEX":
            index = _new_index(tree, statement)
            if index is not None and index.table not in created_tables:
                created.append(index)
        elif isinstance(tree, exp.Drop) and tree.kind == "INDEX":
            dropped += [DroppedIndex(name(t), None, False, statement)
                        for t in tree.args.get("tables") or [tree.this]]
        elif isinstance(tree, exp.Alter) and tree.kind == "TABLE":
            dropped += [DroppedIndex(name(a.args["tables"][0]), name(tree.this), True, statement)
                        for a in tree.args["actions"]
                        if isinstance(a, exp.Drop) and a.kind == "CONSTRAINT"]
    return IndexChanges(tuple(created), tuple(dropped))


def _new_index(tree: exp.Create, statement: Statement) -> NewIndex | None:
    from nivomigrate.sql import exp, name
    index = tree.this
    params = index.args.get("params")
    if not isinstance(index, exp.Index) or params is None or not index.args.get("table"):
        return None
    keys = [c.this if isinstance(c, exp.Ordered) else c for c in params.args.get("columns") or []]
    plain = tree.copy()
    plain.set("concurrently", False)
    plain.set("exists", False)
    return NewIndex(name(index.this) or "", name(index.args["table"]),
                    tuple(name(k) if isinstance(k, exp.Column) else None for k in keys),
                    plain.sql(dialect="postgres"), statement)


def simulation_for(revision: RevisionSQL, ctx: LintContext, environment: str,
                   conn: psycopg.Connection) -> Simulation | None:
    """Return the simulation of `revision` on `environment`, computed once per revision;
    None when the revision changes no index of a table a hot query reads."""
    key = (revision.revision.id, environment)
    if key not in ctx.memo:
        ctx.memo[key] = simulate(conn, environment, revision, list(ctx.hot_queries),
                                 may_rehearse=environment in ctx.rehearsal)
    return ctx.memo[key]


def simulate(conn: psycopg.Connection, environment: str, revision: RevisionSQL,
             queries: list[HotQuery], *, may_rehearse: bool) -> Simulation | None:
    """Explain the hot queries of the changed tables before and after the index changes."""
    from nivomigrate.indexes import read_indexes

    changes = index_changes(revision)
    if not changes.created and not changes.dropped:
        return None
    catalog = read_indexes(conn)
    tables = {index.name: index.table for index in catalog}
    dropped = _resolve_drops(changes, catalog)
    # Tables an earlier pending revision creates are not there yet: nothing to prove on them.
    sizes = table_sizes(conn, changes.tables | {tables[index] for index in dropped})
    queries = [q for q in queries if q.sql and q.table in sizes]
    if not queries:
        return None
    version = _hypopg_version(conn)
    with conn.transaction(force_rollback=True), conn.cursor() as cur:
        cur.execute("SET TRANSACTION READ ONLY")
        before = _explain_all(conn, cur, queries, tables)
    used = {i for verdict in before.values() for i in verdict.indexes if i in dropped}
    unproven: dict[str, str] = {}
    existing = [index for index in changes.created if index.table in sizes]
    hide = bool(used) and version is not None and version >= HIDE_VERSION
    rehearse = may_rehearse and ((bool(used) and not hide) or (version is None and existing))
    if used and not hide and not rehearse:
        unproven.update({i: _no_hide_reason(version) for i in used})
    if version is None and not rehearse:
        unproven.update({i.name: _NO_HYPOPG for i in existing})
        existing = []
    means = _Means(version, hide, rehearse, sizes)
    created, after = _after(conn, existing, used if (hide or rehearse) else set(),
                            dropped, tables, queries, before, means, unproven)
    hypopg = None if version is None else ".".join(map(str, version))
    return Simulation(environment, _method(hypopg, rehearse), hypopg, before, after, created,
                      dict(dropped), unproven, sizes)


def _resolve_drops(changes: IndexChanges, catalog) -> dict[str, str]:
    """Map each index the revision drops (by DROP INDEX or DROP CONSTRAINT) to the name dropped."""
    found = {}
    for drop in changes.dropped:
        for index in catalog:
            if (not drop.is_constraint and index.name == drop.name) or (
                    drop.is_constraint and index.constraint == drop.name
                    and index.table == drop.table):
                found[index.name] = drop.name
    return found


def _hypopg_version(conn: psycopg.Connection) -> tuple[int, ...] | None:
    with conn.transaction(force_rollback=True):
        row = conn.execute(_HYPOPG_SQL).fetchone()
    if row is None:
        return None
    return tuple(int(part) for part in row[0].split(".") if part.isdigit())


def _no_hide_reason(version: tuple[int, ...] | None) -> str:
    have = "HypoPG is not installed" if version is None else \
        f"HypoPG {'.'.join(map(str, version))} has no hypopg_hide_index"
    return (f"{have} (1.4+ hides an index hypothetically) and no rolled-back rehearsal is "
            "allowed here")


def _method(hypopg: str | None, rehearse: bool) -> str:
    return ("rolled-back rehearsal of the drops, " if rehearse else "") + (
        f"HypoPG {hypopg}" if hypopg else "no HypoPG")


def _explain_all(conn, cur, queries: list[HotQuery],
                 tables: dict[str, str]) -> dict[str, PlanVerdict]:
    """Explain `queries` generically inside the caller's transaction."""
    from nivomigrate.checks.hot_query_plan import explain_generic, plan_verdict

    cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    verdicts = {}
    for number, query in enumerate(queries):
        plan, error = explain_generic(conn, cur, f"nivomigrate_simulated_{number}", query.sql)
        verdicts[query.name] = plan_verdict(query, plan, error, tables)
    return verdicts


@dataclass(frozen=True)
class _Means:
    """How "after" is made on one database."""

    version: tuple[int, ...] | None    # HypoPG's, None when absent
    hide: bool                         # hypopg_hide_index for the used drops
    rehearse: bool                     # a rolled-back READ WRITE transaction (staging only)
    sizes: dict[str, tuple[int, int]]


def _after(conn, created, hidden, dropped, tables, queries, before, means: _Means,
           unproven) -> tuple[dict[str, str], dict[str, PlanVerdict]]:
    """Make the new indexes (hypothetically) and hide or drop the used ones; explain; undo."""
    names: dict[str, str] = {}
    tables = dict(tables)
    if not created and not hidden:
        return names, before  # nothing can be changed here: the plans stay as they are
    try:
        with conn.transaction(force_rollback=True), conn.cursor() as cur:
            cur.execute("SET TRANSACTION READ WRITE" if means.rehearse
                        else "SET TRANSACTION READ ONLY")
            if means.rehearse:
                cur.execute(f"SET LOCAL lock_timeout = '{REHEARSAL_LOCK_TIMEOUT}'")
            for index in created:
                _create(conn, cur, index, means, names, tables, unproven)
            for index in hidden:
                _hide_or_drop(conn, cur, index, dropped[index], tables, means.hide, unproven)
            after = _explain_all(conn, cur, queries, tables)
    finally:
        if means.version is not None:
            with conn.transaction(force_rollback=True):
                conn.execute("select hypopg_reset()")
                if means.version >= HIDE_VERSION:
                    conn.execute("select hypopg_unhide_all_indexes()")
    return names, after


def _create(conn, cur, index: NewIndex, means: _Means, names, tables, unproven) -> None:
    """HypoPG's hypothetical index; without HypoPG, in a rehearsal, the real one if small."""
    import psycopg

    if means.version is None and means.sizes[index.table][0] >= REHEARSAL_MAX_ROWS:
        unproven[index.name] = f"{_NO_HYPOPG}, and the table has {REHEARSAL_MAX_ROWS}+ rows"
        return
    try:
        with conn.transaction():
            if means.version is None:
                cur.execute(index.sql)
                made = index.name
            else:
                made = cur.execute("select indexname from hypopg_create_index(%s)",
                                   (index.sql,)).fetchone()[0]
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        unproven[index.name] = f"it cannot be made here: {reason}"
        return
    names[index.name] = made
    tables[made] = index.table


def _hide_or_drop(conn, cur, index: str, dropped_as: str, tables, hide: bool, unproven) -> None:
    import psycopg
    from psycopg import sql

    try:
        with conn.transaction():
            if hide:
                cur.execute("select hypopg_hide_index(to_regclass(%s))", (identifier(index),))
            elif dropped_as == index:
                cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
            else:
                cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    sql.Identifier(tables[index]), sql.Identifier(dropped_as)))
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        unproven[index] = f"the rehearsal could not drop it: {reason}"
