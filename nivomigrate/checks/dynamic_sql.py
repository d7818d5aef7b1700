"""dynamic-sql: a revision that runs SQL built at run time (PL/pgSQL EXECUTE).

Problem: `DO $$ BEGIN EXECUTE 'ALTER TABLE "Log" DROP COLUMN "message"'; END $$` drops a
column that `op.drop_column` could not drop past service-still-uses and destructive-change: the
statement is a string until it runs, so no check sees what it changes. Flagged: EXECUTE in a DO
block, in a function or procedure the revision creates, and in an existing PL/pgSQL function the
revision calls (read from each database it is pending on).
Do instead: write the statements themselves (op.drop_column, op.execute of the plain DDL);
when the SQL must be built (a name that differs between staging and prod), review what it runs
and acknowledge it: `# nivomigrate: ack dynamic-sql "DO" -- <what it runs, and why>` (the
object is `DO` for a DO block, else the function's name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Severity

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import RevisionSQL, Statement

NAME = "dynamic-sql"
DO_BLOCK = "DO"
_ROUTINES = ("FUNCTION", "PROCEDURE")
# The bodies of the PL/pgSQL routines a revision calls, by name in any schema: a call reaches
# the platform's and extensions' routines too, which the catalog floor leaves out.
_CALLED_SQL = """
select p.proname, p.oid::regprocedure::text, p.prosrc
from pg_proc p join pg_language l on l.oid = p.prolang
where l.lanname = 'plpgsql' and p.proname = any(%s)
"""


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: EXECUTE in what the revision runs, creates or calls."""
    from nivomigrate import sql
    findings, created, called = [], set(), set()
    for statement in revision.statements:
        subject = _subject([text for text, _ in sql.words(statement.sql)])
        if subject is not None:
            created.add(subject.rsplit(".", 1)[-1])
            if dynamic_subject(statement.sql):
                findings.append(_finding(revision, statement, subject, _what(subject)))
        called |= _called_names(statement.sql)
    for environment, conn in ctx.databases.items():
        findings += _called_findings(revision, conn, environment, called - created)
    return findings


def dynamic_subject(statement: str) -> str | None:
    """Return the object an acknowledgement names (`DO`, or the function's name) when the
    statement is a DO block or a CREATE FUNCTION/PROCEDURE that runs EXECUTE, else None."""
    from nivomigrate import sql
    subject = _subject([text for text, _ in sql.words(statement)])
    if subject is None or not any(sql.runs_dynamic_sql(body)
                                  for body in sql.string_bodies(statement)):
        return None
    return subject


def _subject(words: list[str]) -> str | None:
    """Return `DO`, or the name of the function or procedure a CREATE makes, else None."""
    upper = [word.upper() for word in words]
    if upper[:1] == ["DO"]:
        return DO_BLOCK
    if upper[:1] != ["CREATE"]:
        return None
    position = 3 if upper[1:3] == ["OR", "REPLACE"] else 1
    if position >= len(upper) or upper[position] not in _ROUTINES:
        return None
    name = []
    for word in words[position + 1:]:
        if word == "(":
            break
        name.append(word)
    return "".join(name) or None


def _what(subject: str) -> str:
    return "a DO block" if subject == DO_BLOCK else f"the function {subject} it creates"


def _called_names(statement: str) -> set[str]:
    """Names followed by `(` in the statement and in its bodies: the functions it may call."""
    from nivomigrate import sql
    found = set()
    for text in (statement, *sql.string_bodies(statement)):
        words = [word for word, _ in sql.words(text)]
        found |= {word for word, after in zip(words, words[1:], strict=False)
                  if after == "(" and word.replace("_", "").isalnum()}
    return found


def _called_findings(revision: RevisionSQL, conn: psycopg.Connection, environment: str,
                     names: set[str]) -> list[Finding]:
    """An existing PL/pgSQL function the revision calls whose body runs EXECUTE."""
    from nivomigrate import sql
    if not names:
        return []
    rows = conn.execute(_CALLED_SQL, (sorted(names),)).fetchall()
    return [_finding(revision, None, name, f"the function {signature} it calls "
                     f"(as defined on {environment})", environment)
            for name, signature, source in rows if sql.runs_dynamic_sql(source)]


def _finding(revision: RevisionSQL, statement: Statement | None, subject: str, what: str,
             environment: str | None = None) -> Finding:
    return Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"revision {revision.revision.id} runs dynamic SQL (EXECUTE in {what}): no "
        "check can see what it changes",
        location=revision.location(statement, subject),
        help="write the statements themselves (op.drop_column, op.execute of the plain DDL); "
        f'once reviewed, acknowledge it: # nivomigrate: ack {NAME} "{subject}" -- <what it '
        "runs, and why it must be built at run time>",
        environment=environment,
    )
