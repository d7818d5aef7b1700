"""precondition: a statement that can fail on the data must be proven to succeed, per database.

Problem: a unique index fails on prod's duplicates, SET NOT NULL on its NULLs, a foreign key
on its orphans, a CHECK on its violators, a type change on values that do not cast; staging's
data passing proves nothing about prod's, and the promotion stops half-way.
Do instead: fix the data first (the finding names the violating rows by primary key), in a
revision before this one or by hand, then plan again.

From each pending statement (parsed, not matched) the check derives a read-only query for the
rows that would make it fail and runs it on every database the revision is pending on, in a
READ ONLY transaction that is rolled back, under a statement timeout. A query that does not
finish in time proves nothing: the statement is "unproven" and blocks unless acknowledged.
Only counts and primary keys are shown, never other values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from psycopg import sql as pgsql

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.quoting import identifier

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import RevisionSQL, Statement
    from nivomigrate.sql import exp

NAME = "precondition"
TIMEOUT_MS = 30_000
MAX_KEYS = 10
CAST_ROW_LIMIT = 1_000_000
_PRIMARY_KEY_SQL = """
select array_agg(a.attname order by k.ord)
from pg_index i
cross join lateral unnest(i.indkey) with ordinality as k(attnum, ord)
join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
where i.indrelid = to_regclass(%s) and i.indisprimary
"""
_CONSTRAINT_SQL = """
select pg_get_constraintdef(c.oid) from pg_constraint c
where c.conrelid = to_regclass(%s) and c.conname = %s
"""


@dataclass(frozen=True)
class Precondition:
    """What must hold before a statement runs: no row of `table` matches `violating`."""

    table: str
    object: str                       # what an acknowledgement names: "Log.email"
    what: str                         # "duplicate values of (lower(email))"
    violating: pgsql.Composable | None = None   # a condition on the table's rows
    cast: tuple[str, str] | None = None         # (column, new type) for a type change


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: every derived precondition, on every pending database."""
    created = revision.created_tables()
    preconditions = [(statement, p) for statement in revision.statements
                     for p in derive(statement, revision) if p.table not in created]
    return [finding for environment, conn in ctx.databases.items()
            for statement, precondition in preconditions
            for finding in _prove(revision.location(statement, precondition.object),
                                  precondition, conn, environment)]


def derive(statement: Statement, revision: RevisionSQL) -> list[Precondition]:
    """Return what `statement` needs of the existing rows; [] when it cannot fail on data."""
    from nivomigrate.sql import exp, name, parse, without_phrase
    text, nulls_not_distinct = without_phrase(statement.sql, ("NULLS", "NOT", "DISTINCT"))
    tree = parse(text)
    if isinstance(tree, exp.Create) and tree.kind == "INDEX" and tree.args.get("unique"):
        return _unique_index(tree, nulls_distinct=not nulls_not_distinct)
    if isinstance(tree, exp.Alter) and tree.kind == "TABLE":
        table = name(tree.this)
        found = []
        for action in tree.args["actions"]:
            found += _alter_action(table, action, not_valid=bool(tree.args.get("not_valid")))
        return found
    return [p for change in statement.changes if change.kind == "validate_constraint"
            for p in _validated(change.table, change.detail, revision)]


def _unique_index(tree: exp.Create, *, nulls_distinct: bool) -> list[Precondition]:
    from nivomigrate.sql import exp, name
    index = tree.this
    table = name(index.args.get("table"))
    params = index.args.get("params")
    keys = [column.this if isinstance(column, exp.Ordered) else column
            for column in (params.args.get("columns") or [])] if params else []
    predicate = params.args.get("where") if params else None
    return [_duplicates(table, name(index.this) or table, keys,
                        predicate.this if predicate else None, nulls_distinct)]


def _alter_action(table: str, action: exp.Expression, *, not_valid: bool) -> list[Precondition]:
    from nivomigrate.sql import exp, name
    if isinstance(action, exp.AlterColumn):
        column = name(action.this)
        if action.args.get("dtype") is not None:
            return [Precondition(table, f"{table}.{column}", "values that do not cast to "
                                 + action.args["dtype"].sql(dialect="postgres"),
                                 cast=(column, action.args["dtype"].sql(dialect="postgres")))]
        if action.args.get("allow_null") is False and not action.args.get("drop"):
            return [_nulls(table, column)]
        return []
    if isinstance(action, exp.ColumnDef):
        return _new_not_null_column(table, action)
    if isinstance(action, exp.AddConstraint) and not not_valid:
        return [p for constraint in action.expressions for p in _constraint(table, constraint)]
    return []


def _constraint(table: str, constraint: exp.Expression) -> list[Precondition]:
    from nivomigrate.sql import exp, name
    label = name(constraint) if isinstance(constraint, exp.Constraint) else None
    body = constraint.expressions[0] if isinstance(constraint, exp.Constraint) else constraint
    if isinstance(body, (exp.PrimaryKey, exp.UniqueColumnConstraint)):
        columns = body.expressions or (body.this.expressions if body.this else [])
        keys = [exp.column(name(c), quoted=True) for c in columns]
        nulls = isinstance(body, exp.PrimaryKey)
        distinct = not body.args.get("nulls")  # UNIQUE NULLS NOT DISTINCT
        found = [_duplicates(table, label or table, keys, None, nulls_distinct=distinct)]
        return found + ([_nulls(table, name(c)) for c in columns] if nulls else [])
    if isinstance(body, exp.ForeignKey):
        return [_orphans(table, label, body)]
    if isinstance(body, exp.CheckColumnConstraint):
        condition = pgsql.SQL("({}) IS FALSE").format(pgsql.SQL(body.this.sql(dialect="postgres")))
        return [Precondition(table, label or table, f"rows violating CHECK "
                             f"({body.this.sql(dialect='postgres')})", condition)]
    return []


def _duplicates(table: str, label: str, keys: list[exp.Expression],
                predicate: exp.Expression | None, nulls_distinct: bool) -> Precondition:
    """Rows whose key appears twice (NULLs equal only with NULLS NOT DISTINCT)."""
    terms = [key.sql(dialect="postgres") for key in keys]
    filters = [predicate.sql(dialect="postgres")] if predicate is not None else []
    if nulls_distinct:
        filters += [f"({term}) IS NOT NULL" for term in terms]
    where = " WHERE " + " AND ".join(filters) if filters else ""
    condition = pgsql.SQL(
        "ctid IN (SELECT ctid FROM (SELECT ctid, count(*) OVER (PARTITION BY {keys}) AS n "
        "FROM {table}{where}) AS d WHERE n > 1)").format(
        keys=pgsql.SQL(", ".join(terms)), table=pgsql.Identifier(table), where=pgsql.SQL(where))
    return Precondition(table, label, f"duplicate values of ({', '.join(terms)})", condition)


def _nulls(table: str, column: str) -> Precondition:
    return Precondition(table, f"{table}.{column}", f"NULLs in {column}",
                        pgsql.SQL("{} IS NULL").format(pgsql.Identifier(column)))


def _new_not_null_column(table: str, column: exp.ColumnDef) -> list[Precondition]:
    from nivomigrate.sql import exp, name
    kinds = [c.args.get("kind") for c in column.args.get("constraints") or ()]
    not_null = any(isinstance(k, exp.NotNullColumnConstraint) and not k.args.get("allow_null")
                   for k in kinds)
    filled = (exp.DefaultColumnConstraint, exp.GeneratedAsIdentityColumnConstraint)
    has_default = any(isinstance(k, filled) for k in kinds)
    if not not_null or has_default:
        return []
    return [Precondition(table, f"{table}.{name(column.this)}",
                         "rows, which a NOT NULL column without default cannot be added to",
                         pgsql.SQL("true"))]


def _orphans(table: str, label: str | None, key: exp.ForeignKey) -> Precondition:
    from nivomigrate.sql import name
    columns = [name(c) for c in key.expressions]
    reference = key.args["reference"].this
    parent = name(reference.this)
    parent_columns = [name(c) for c in reference.expressions]
    match = pgsql.SQL(" AND ").join(
        pgsql.SQL("p.{} = {}.{}").format(pgsql.Identifier(pc), pgsql.Identifier(table),
                                         pgsql.Identifier(c))
        for c, pc in zip(columns, parent_columns, strict=False))
    present = pgsql.SQL(" AND ").join(pgsql.SQL("{} IS NOT NULL").format(pgsql.Identifier(c))
                                      for c in columns)
    condition = pgsql.SQL("{} AND NOT EXISTS (SELECT 1 FROM {} AS p WHERE {})").format(
        present, pgsql.Identifier(parent), match)
    return Precondition(table, label or f"{table}.{','.join(columns)}",
                        f"orphan rows (no {parent} for {', '.join(columns)})", condition)


def _validated(table: str, constraint: str, revision: RevisionSQL) -> list[Precondition]:
    """VALIDATE CONSTRAINT: the definition added NOT VALID earlier in the revision."""
    from nivomigrate.sql import exp, name, parse
    for statement in revision.statements:
        tree = parse(statement.sql)
        if not (isinstance(tree, exp.Alter) and name(tree.this) == table):
            continue
        for action in tree.args["actions"]:
            if isinstance(action, exp.AddConstraint):
                for item in action.expressions:
                    if isinstance(item, exp.Constraint) and name(item) == constraint:
                        return _constraint(table, item)
    return []


# --- proving on a database ----------------------------------------------------------------


def _prove(location: Location, precondition: Precondition, conn: psycopg.Connection,
           environment: str) -> list[Finding]:
    import psycopg

    try:
        with conn.transaction(force_rollback=True):
            conn.execute(pgsql.SQL("SET LOCAL statement_timeout = {}").format(TIMEOUT_MS))
            if conn.execute("select to_regclass(%s)", (identifier(precondition.table),)
                            ).fetchone()[0] is None:
                return []
            count, keys = _violations(conn, precondition)
    except (psycopg.errors.UndefinedColumn, psycopg.errors.UndefinedTable):
        # It reads what an earlier statement of the revision adds (a column, then its
        # backfill, then the constraint): today's rows cannot prove it; the run will.
        return [_needs_earlier_steps(location, precondition, environment)]
    except psycopg.errors.QueryCanceled:
        return [_unproven(location, precondition, environment,
                          f"the proof did not finish within {TIMEOUT_MS} ms")]
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return [_unproven(location, precondition, environment, f"the proof failed: {reason}")]
    if not count:
        return []
    return [_violated(location, precondition, environment, count, keys)]


def _violations(conn: psycopg.Connection, precondition: Precondition) -> tuple[int, list[str]]:
    table = pgsql.Identifier(precondition.table)
    key = _primary_key(conn, precondition.table)
    if precondition.cast is not None:
        return _bad_casts(conn, precondition, key)
    where = precondition.violating
    count = conn.execute(pgsql.SQL("SELECT count(*) FROM {} WHERE {}").format(table, where)
                         ).fetchone()[0]
    rows = conn.execute(pgsql.SQL("SELECT {} FROM {} WHERE {} ORDER BY 1 LIMIT {}").format(
        key, table, where, MAX_KEYS)).fetchall() if count else []
    return count, [_key_text(row) for row in rows]


def _bad_casts(conn: psycopg.Connection, precondition: Precondition,
               key: pgsql.Composable) -> tuple[int, list[str]]:
    """Count values that do not cast, row by row (PostgreSQL 15 has no pg_input_is_valid): a
    DO block, allowed in a READ ONLY transaction, that reports through its error message."""
    import psycopg

    column, new_type = precondition.cast
    block = pgsql.SQL("""DO $nivo$ DECLARE r record; bad bigint := 0; keys text[] := '{{}}';
    BEGIN
      FOR r IN SELECT {key}::text AS k, {column} AS v FROM {table}
               WHERE {column} IS NOT NULL LIMIT {limit} LOOP
        BEGIN PERFORM r.v::{type};
        EXCEPTION WHEN others THEN
          bad := bad + 1;
          IF cardinality(keys) < {keys} THEN keys := keys || r.k; END IF;
        END;
      END LOOP;
      RAISE EXCEPTION USING MESSAGE = 'nivomigrate-casts', DETAIL = bad::text,
                            HINT = array_to_string(keys, chr(31));
    END $nivo$""").format(key=key, column=pgsql.Identifier(column),
                          table=pgsql.Identifier(precondition.table), limit=CAST_ROW_LIMIT,
                          type=pgsql.SQL(new_type), keys=MAX_KEYS)
    try:
        with conn.transaction():
            conn.execute(block)
    except psycopg.errors.RaiseException as exc:
        detail, hint = exc.diag.message_detail or "0", exc.diag.message_hint or ""
        return int(detail), [k for k in hint.split(chr(31)) if k]
    return 0, []


def _primary_key(conn: psycopg.Connection, table: str) -> pgsql.Composable:
    (columns,) = conn.execute(_PRIMARY_KEY_SQL, (identifier(table),)).fetchone()
    if not columns:
        return pgsql.SQL("ctid")
    if len(columns) == 1:
        return pgsql.Identifier(columns[0])
    return pgsql.SQL("ROW({})").format(pgsql.SQL(", ").join(map(pgsql.Identifier, columns)))


def _key_text(row: tuple) -> str:
    return str(row[0])


def _violated(location: Location, precondition: Precondition, environment: str, count: int,
              keys: list[str]) -> Finding:
    shown = ", ".join(keys) + (" ..." if count > len(keys) else "")
    return Finding(
        check=NAME, severity=Severity.ERROR,
        message=f'{count} {precondition.what} in "{precondition.table}" on {environment}: '
        "the statement would fail there",
        location=location,
        help="fix the data first (in an earlier revision or by hand), then plan again; "
        f'acknowledge only a proven false alarm: # nivomigrate: ack {NAME} "{precondition.object}"'
        " -- why",
        evidence=(("rows", str(count)), ("primary keys", shown)),
        environment=environment,
    )


def _unproven(location: Location, precondition: Precondition, environment: str,
              reason: str) -> Finding:
    return Finding(
        check=NAME, severity=Severity.ERROR,
        message=f'unproven on {environment}: {precondition.what} in "{precondition.table}" '
        f"({reason})",
        location=location,
        help="run the proof when the database is less busy, or acknowledge it: "
        f'# nivomigrate: ack {NAME} "{precondition.object}" -- why it is safe',
        environment=environment,
    )


def _needs_earlier_steps(location: Location, precondition: Precondition,
                         environment: str) -> Finding:
    return Finding(
        check=NAME, severity=Severity.INFO,
        message=f'not provable on {environment} before the revision runs: {precondition.what} '
        f'in "{precondition.table}" depends on what its earlier statements add',
        location=location, environment=environment,
    )
