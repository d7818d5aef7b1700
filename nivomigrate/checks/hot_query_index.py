"""hot-query-index: every hot query must be served by an index, judged from the catalog.

Problem: a query that runs on every SDK request (logs of a project, newest first) is fast on a
small staging database and becomes a sequential scan plus a sort on production's millions of
rows; an index that a failed `CREATE INDEX CONCURRENTLY` left invalid looks present but is
never used. Do instead: add the index CONCURRENTLY in its own revision (the finding's help has
the statement), and rebuild invalid indexes.

A query is covered when a valid, ready B-tree index (plain, unique or backing a primary key or
unique constraint) has all equality columns as its leading keys, in any order, followed by the
range or ORDER BY column(s) in an order it can scan forward or backward (NULLS placement
included). A unique index whose key columns are all bound by equality serves the query whatever
else it filters. INCLUDE columns are not keys. A partial index counts only when each conjunct of
its predicate is among the query's; an expression index only when the query names the same
expression. Both sides are normalised by the server (see `_Normaliser`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from nivomigrate.checks.hot_query_fix import fix_statement
from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.indexes import IndexInfo, IndexKey, read_indexes
from nivomigrate.policies.hot_queries import HotQuery, OrderKey, quote_name

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import CoverageContext

NAME = "hot-query-index"




# --- normalisation by the server -------------------------------------------------------------

class _Normaliser:
    """Normalise predicates and expressions by letting the server parse and deparse them.

    The session is read-only, so no throwaway index or temporary table can be created. Instead
    both sides (the index's `pg_get_expr(indpred, indrelid)` and the query's predicate) go
    through the same read-only, rolled-back `EXPLAIN SELECT FROM ONLY <table> WHERE ...` with
    index scans disabled: the seq scan's Filter is the planner's deparse of the parsed, const-
    folded and canonicalised qual (`x = true` becomes `x`, `NOT (a <> b)` becomes `a = b`),
    whose top-level ANDs are the conjuncts. Expressions go through the Output of `EXPLAIN
    (VERBOSE) SELECT <expr> FROM ONLY <table>`. A text the server refuses normalises to None.
    """

    def __init__(self, conn: psycopg.Connection):
        self._conn = conn
        self._cache: dict[tuple[str, str, str, str], object] = {}

    def conjuncts(self, schema: str, table: str, predicate: str) -> frozenset[str] | None:
        from nivomigrate.sql import conjuncts
        key = ("where", schema, table, predicate)
        if key not in self._cache:
            plan = self._explain("EXPLAIN (FORMAT JSON) SELECT FROM ONLY ", schema, table,
                                 " WHERE " + predicate)
            node = plan and _first_scan(plan)
            text = node.get("Filter") if node else None
            self._cache[key] = frozenset(conjuncts(text)) if text else None
        return self._cache[key]

    def expression(self, schema: str, table: str, expression: str) -> str:
        from nivomigrate.sql import strip_enclosing_parens
        key = ("expr", schema, table, expression)
        if key not in self._cache:
            plan = self._explain(f"EXPLAIN (VERBOSE, FORMAT JSON) SELECT {expression} FROM ONLY ",
                                 schema, table, "")
            node = plan and _first_scan(plan)
            output = node.get("Output") if node else None
            self._cache[key] = strip_enclosing_parens(output[0]) if output else expression
        return self._cache[key]

    def _explain(self, before: str, schema: str, table: str, after: str) -> dict | None:
        import psycopg
        from psycopg import sql

        # The texts are SQL from the policy file or the catalog; only the table is an identifier.
        statement = sql.SQL(before) + sql.Identifier(schema, table) + sql.SQL(after)
        try:
            with self._conn.transaction(force_rollback=True), self._conn.cursor() as cur:
                cur.execute("SET TRANSACTION READ ONLY")
                cur.execute("SET LOCAL enable_indexscan = off")
                cur.execute("SET LOCAL enable_indexonlyscan = off")
                cur.execute("SET LOCAL enable_bitmapscan = off")
                # binary=True: the extended protocol, which refuses a second statement.
                row = cur.execute(statement, binary=True).fetchone()
        except psycopg.Error:
            return None
        document = row[0] if row else None
        if isinstance(document, str | bytes):
            document = json.loads(document)
        return document[0]["Plan"] if document else None


def _first_scan(plan: dict) -> dict | None:
    if "Relation Name" in plan:
        return plan
    for child in plan.get("Plans", []):
        found = _first_scan(child)
        if found:
            return found
    return None



# --- coverage --------------------------------------------------------------------------------

@dataclass(frozen=True)
class IndexJudgement:
    """Why one index does or does not serve one hot query."""

    index: IndexInfo
    serves: bool
    reason: str
    matched: int = 0  # leading keys bound by equality (how close a non-serving index came)
    shared: int = 0  # keys anywhere in the index that the query names


@dataclass(frozen=True)
class Coverage:
    """The verdict on one hot query: the index that serves it, or the gap and its fix."""

    query: HotQuery
    index: IndexInfo | None
    judgements: tuple[IndexJudgement, ...] = ()
    fix: str | None = None
    problem: str | None = None  # the policy names a table or column that does not exist

    @property
    def is_covered(self) -> bool:
        return self.index is not None

    @property
    def closest(self) -> IndexJudgement | None:
        rejected = [j for j in self.judgements if not j.serves]
        return max(rejected, key=lambda j: (j.matched, j.shared, -len(j.index.keys)),
                   default=None)

    @property
    def verdict(self) -> str:
        if self.problem:
            return f"gap: {self.problem}"
        return f"covered by {self.index.name}" if self.index else "gap"


@dataclass
class _Terms:
    """A hot query's columns and expressions, normalised like the index keys."""

    equality: set[str] = field(default_factory=set)
    tail: list[tuple[str, OrderKey]] = field(default_factory=list)
    conjuncts: frozenset[str] | None = None
    is_ordered: bool = False


def assess(conn: psycopg.Connection, queries: list[HotQuery],
           indexes: list[IndexInfo]) -> list[Coverage]:
    """Judge every hot query against the indexes of its table."""
    normaliser = _Normaliser(conn)
    tables = _table_columns(conn)
    coverages = []
    for query in queries:
        schema = _schema_of(query.table, tables)
        columns = tables.get((schema, query.table), [])
        problem = _policy_problem(query, schema, columns)
        if problem:
            coverages.append(Coverage(query, None, problem=problem))
            continue
        terms = _terms(query, schema, columns, normaliser)
        own = [index for index in indexes if (index.schema, index.table) == (schema, query.table)]
        judgements = tuple(_judge(index, terms, normaliser) for index in own)
        serving = sorted((j for j in judgements if j.serves),
                         key=lambda j: (len(j.index.keys), not j.index.is_unique, j.index.name))
        index = serving[0].index if serving else None
        coverages.append(Coverage(query, index, judgements,
                                  fix=None if index else fix_statement(query, columns)))
    return coverages


# The app's tables and materialized views with their columns in order, over the catalog
# floor's managed.sql (`catalog.query`).
_TABLE_COLUMNS_SQL = """
select c.nspname::text, c.relname::text, array_agg(a.attname::text order by a.attnum)
from managed_class c
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relkind in ('r', 'p', 'm')
group by c.nspname, c.relname
"""


def _table_columns(conn: psycopg.Connection) -> dict[tuple[str, str], list[str]]:
    from nivomigrate import catalog

    with conn.cursor() as cur:
        rows = cur.execute(catalog.query(_TABLE_COLUMNS_SQL),
                           catalog.managed_parameters(cur)).fetchall()
        return {(schema, table): columns for schema, table, columns in rows}


def _schema_of(table: str, tables: dict[tuple[str, str], list[str]]) -> str | None:
    if "." in table and tuple(table.split(".", 1)) in tables:
        return table.split(".", 1)[0]
    schemas = sorted(schema for schema, name in tables if name == table)
    return "public" if "public" in schemas else (schemas[0] if schemas else None)


def _policy_problem(query: HotQuery, schema: str | None, columns: list[str]) -> str | None:
    if schema is None:
        return f"no table {query.table}"
    names = [*query.equality, *(key.column for key in query.order)] + \
        ([query.range] if query.range else [])
    unknown = [name for name in names if re.fullmatch(r"\w+", name) and name not in columns]
    return f"no column {unknown[0]} in {query.table}" if unknown else None


def _terms(query: HotQuery, schema: str, columns: list[str], normaliser: _Normaliser) -> _Terms:
    def term(text: str) -> str:
        return text if text in columns else normaliser.expression(schema, query.table, text)

    conjuncts = (normaliser.conjuncts(schema, query.table, query.predicate)
                 if query.predicate else None)
    return _Terms(
        equality={term(column) for column in query.equality},
        tail=[(term(key.column), key) for key in query.tail],
        conjuncts=conjuncts,
        is_ordered=bool(query.order),
    )


def _key_term(key: IndexKey, index: IndexInfo, normaliser: _Normaliser) -> str:
    if key.column is not None:
        return key.column
    return normaliser.expression(index.schema, index.table, key.definition)


def _judge(index: IndexInfo, terms: _Terms, normaliser: _Normaliser) -> IndexJudgement:
    """Decide whether `index` serves `query`, and say why not when it does not."""
    judgement = _judge_keys(index, terms, normaliser)
    keys = {_key_term(key, index, normaliser) for key in index.keys}
    named = terms.equality | {name for name, _ in terms.tail}
    return replace(judgement, shared=len(keys & named))


def _judge_keys(index: IndexInfo, terms: _Terms, normaliser: _Normaliser) -> IndexJudgement:
    if not index.is_usable:
        return IndexJudgement(index, False, "invalid (a failed CREATE INDEX CONCURRENTLY): "
                              "the planner never uses it")
    if index.method != "btree":
        return IndexJudgement(index, False, f"a {index.method} index: only B-tree serves "
                              "equality plus range or order")
    predicate_problem = _predicate_problem(index, terms, normaliser)
    if predicate_problem:
        return IndexJudgement(index, False, predicate_problem)
    keys = [_key_term(key, index, normaliser) for key in index.keys]
    if index.is_unique and terms.equality and set(keys) <= terms.equality:
        return IndexJudgement(index, True, "unique, every key bound by equality: at most one row",
                              len(keys))
    matched = 0
    while matched < len(keys) and keys[matched] in terms.equality:
        matched += 1
    if matched < len(terms.equality):
        return IndexJudgement(index, False, _equality_problem(keys, matched, terms), matched)
    return _judge_tail(index, keys, matched, terms)


def _predicate_problem(index: IndexInfo, terms: _Terms, normaliser: _Normaliser) -> str | None:
    if not index.predicate:
        return None
    if terms.conjuncts is None:
        return f"partial (WHERE {index.predicate}) and the query has no such predicate"
    needed = normaliser.conjuncts(index.schema, index.table, index.predicate)
    missing = sorted((needed or frozenset({index.predicate})) - terms.conjuncts)
    if missing:
        return f"partial: the query's predicate lacks {' AND '.join(missing)}"
    return None


def _equality_problem(keys: list[str], matched: int, terms: _Terms) -> str:
    missing = sorted(terms.equality - set(keys[:matched]))
    if set(missing) <= set(keys):
        return (f"wrong column order: {quote_name(keys[matched])} comes before equality "
                f"column(s) {', '.join(quote_name(m) for m in missing)}")
    if matched == 0:
        return f"leads with {quote_name(keys[0])}, not an equality column" if keys else "no keys"
    return f"lacks equality column(s) {', '.join(quote_name(m) for m in missing)}"


def _judge_tail(index: IndexInfo, keys: list[str], matched: int,
                terms: _Terms) -> IndexJudgement:
    if not terms.tail:
        return IndexJudgement(index, True, "equality columns lead", matched)
    wanted = [name for name, _ in terms.tail]
    following = keys[matched:matched + len(wanted)]
    if following != wanted:
        what = "ORDER BY or range" if terms.is_ordered else "range"
        return IndexJudgement(index, False, "serves the equality columns, but they are not "
                              f"followed by {', '.join(quote_name(w) for w in wanted)} ({what}): "
                              "rows must be filtered or sorted", matched)
    index_keys = index.keys[matched:matched + len(wanted)]
    pairs = [(key, order) for key, (_, order) in zip(index_keys, terms.tail, strict=True)]
    forward = all(_same_direction(key, order) for key, order in pairs)
    backward = all(_same_direction(key, order, reverse=True) for key, order in pairs)
    if forward or backward:
        return IndexJudgement(index, True, "equality columns lead, then "
                              + ", ".join(str(key) for _, key in terms.tail), matched)
    return IndexJudgement(index, False, "key directions "
                          + ", ".join(_describe_key(k) for k in index_keys)
                          + " cannot be scanned forward or backward as ORDER BY "
                          + ", ".join(str(key) for _, key in terms.tail), matched)


def _same_direction(key: IndexKey, order: OrderKey, *, reverse: bool = False) -> bool:
    """Tell whether a scan (backward when `reverse`) of `key` returns rows in `order`."""
    return (key.is_descending != reverse, key.is_nulls_first != reverse) == (
        order.is_descending, order.is_nulls_first)


def _describe_key(key: IndexKey) -> str:
    text = key.definition + (" DESC" if key.is_descending else "")
    default_nulls_first = key.is_descending
    if key.is_nulls_first != default_nulls_first:
        text += " NULLS FIRST" if key.is_nulls_first else " NULLS LAST"
    return text


# --- findings --------------------------------------------------------------------------------

def findings(coverages: list[Coverage], indexes: list[IndexInfo]) -> list[Finding]:
    """Return a finding per gap (ERROR when the query is required) and per invalid index."""
    found = [_gap_finding(coverage) for coverage in coverages if not coverage.is_covered]
    found += [_invalid_finding(index) for index in indexes if not index.is_usable]
    return found


def run(conn: psycopg.Connection, queries: list[HotQuery]) -> list[Finding]:
    """Check the hot queries against the catalog of `conn`."""
    indexes = read_indexes(conn)
    return findings(assess(conn, queries, indexes), indexes)


def _gap_finding(coverage: Coverage) -> Finding:
    query = coverage.query
    needs = ", ".join([*(quote_name(c) for c in query.equality), *(str(k) for k in query.tail)])
    if coverage.problem:
        message = f"hot query {query.name!r} ({query.service}): {coverage.problem}"
        help_text = "fix hot_queries.yaml, or restore what a revision dropped or renamed"
    else:
        closest = coverage.closest
        message = (f"no index serves hot query {query.name!r} ({query.service}) on "
                   f"{quote_name(query.table)}: it needs ({needs})")
        if query.predicate:
            message += f" WHERE {query.predicate}"
        if closest:
            message += f"; closest is {closest.index.name}: {closest.reason}"
        help_text = (f"add in a new revision: {coverage.fix} "
                     "(nivomigrate.ops.create_index_concurrently)")
    evidence = [("query", f"{query.name} at {query.source or query.where}")]
    evidence += [("index", f"{j.index.name}: {j.reason}") for j in coverage.judgements
                 if j.matched or not j.index.is_usable or j.index.method != "btree"][:6]
    return Finding(
        check=NAME,
        severity=Severity.ERROR if query.required else Severity.WARNING,
        message=message,
        location=Location(object=f"{query.table} ({query.name})"),
        help=help_text,
        evidence=tuple(evidence),
    )


def _invalid_finding(index: IndexInfo) -> Finding:
    rebuild = re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX CONCURRENTLY ",
                     index.definition)
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=f"index {index.name} on {quote_name(index.table)} is invalid "
        "(a CREATE INDEX CONCURRENTLY failed or is still running): it is kept up to date on "
        "every write but never used",
        location=Location(object=index.name),
        help=f"DROP INDEX CONCURRENTLY IF EXISTS {quote_name(index.schema)}."
        f"{quote_name(index.name)}; "
        f"then, once the cause is fixed (duplicates for a unique index): {rebuild};",
        evidence=(("definition", index.definition),),
    )


def check(ctx: CoverageContext) -> list[Finding]:
    """The registry's entry: hot queries no index serves, and invalid indexes."""
    return findings(ctx.coverages, ctx.indexes)
