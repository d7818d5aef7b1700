"""Resuming a revision partly applied: which steps are recorded, whether an unrecorded statement
took effect (a catalog post-condition), the killed run's backends, an INVALID index left behind.

Post-conditions are read from the statement's text with a few patterns over the statements
alembic renders (the helpers of nivomigrate.ops and plain DDL). No SQL library answers "what does
this statement leave in the catalog", so this is written by hand; a statement none of them
matches has no known post-condition, and a resume that meets it unrecorded stops and says how
to finish it.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import ledger
from nivomigrate.errors import DriftError, MigrationError
from nivomigrate.quoting import unquoted

if TYPE_CHECKING:
    from collections.abc import Callable

    import psycopg

    from nivomigrate.engine.runner import StepRun
    from nivomigrate.migrations import Revision, Step

BUILDER_WAIT_S = 10.0
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][\w$]*)'
_NAME = rf"{_IDENT}(?:\.{_IDENT})?"
_TABLE = rf"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_NAME})\s+"
_PATTERNS = (
    ("index", rf"CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
              rf"(?P<name>{_IDENT})\s+ON\s+(?:ONLY\s+)?(?P<table>{_NAME})"),
    ("no-index", rf"DROP\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+EXISTS\s+)?(?P<name>{_NAME})\s*$"),
    ("constraint", rf"{_TABLE}ADD\s+CONSTRAINT\s+(?P<name>{_IDENT})"),
    ("validated", rf"{_TABLE}VALIDATE\s+CONSTRAINT\s+(?P<name>{_IDENT})"),
    ("no-constraint", rf"{_TABLE}DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?(?P<name>{_IDENT})"),
    ("not-null", rf"{_TABLE}ALTER\s+(?:COLUMN\s+)?(?P<name>{_IDENT})\s+SET\s+NOT\s+NULL"),
    ("column", rf"{_TABLE}ADD\s+(?:COLUMN\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
               rf"(?!(?:CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)\b)(?P<name>{_IDENT})"),
    ("enum-value", rf"ALTER\s+TYPE\s+(?P<table>{_NAME})\s+ADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?"
                   r"'(?P<name>(?:[^']|'')*)'"),
    ("table", rf"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>{_NAME})"),
)
_CHECKS = {
    "index": "select case when i.indisvalid and i.indisready then 'done' else 'invalid-index'"
             " end from pg_index i where i.indexrelid = to_regclass(%(qualified)s)",
    "no-index": "select case when to_regclass(%(name)s) is null then 'done' end",
    "constraint": "select 'done' from pg_constraint where conrelid = to_regclass(%(table)s)"
                  " and conname = %(bare)s",
    "validated": "select case when convalidated then 'done' end from pg_constraint"
                 " where conrelid = to_regclass(%(table)s) and conname = %(bare)s",
    "no-constraint": "select case when not exists (select 1 from pg_constraint where conrelid"
                     " = to_regclass(%(table)s) and conname = %(bare)s) then 'done' end",
    "not-null": "select case when attnotnull then 'done' end from pg_attribute"
                " where attrelid = to_regclass(%(table)s) and attname = %(bare)s",
    "column": "select 'done' from pg_attribute where attrelid = to_regclass(%(table)s)"
              " and attname = %(bare)s and not attisdropped",
    "enum-value": "select 'done' from pg_enum where enumtypid = to_regtype(%(table)s)"
                  " and enumlabel = %(label)s",
    "table": "select case when to_regclass(%(name)s) is not null then 'done' end",
}
_ORPHANS_SQL = """
select pid, application_name from pg_stat_activity
where datname = current_database() and pid <> pg_backend_pid()
  and application_name like %s and application_name <> %s
"""
_BUILDERS_SQL = """
select p.pid from pg_stat_progress_create_index p
where p.index_relid = to_regclass(%(qualified)s) and p.pid <> pg_backend_pid()
union
select a.pid from pg_stat_activity a
where a.pid <> pg_backend_pid() and a.datname = current_database() and a.state = 'active'
  and a.query ilike '%%create%%index%%' and position(%(bare)s in a.query) > 0
"""


@dataclass(frozen=True)
class PostCondition:
    """What a statement leaves in the catalog once it has run, as a query's arguments."""

    kind: str
    arguments: dict


def post_condition(statement: str) -> PostCondition | None:
    """Return the catalog post-condition of `statement`, None when none is known."""
    text = " ".join(statement.split())
    for kind, pattern in _PATTERNS:
        match = re.match(pattern, text, re.IGNORECASE)
        if match is None:
            continue
        name = match.group("name")
        table = match.groupdict().get("table") or ""
        schema = table.rsplit(".", 1)[0] + "." if "." in table and kind == "index" else ""
        return PostCondition(kind, {
            "name": name, "table": table, "bare": unquoted(name), "qualified": schema + name,
            "label": name.replace("''", "'"),
        })
    return None


def state_of(conn: psycopg.Connection, statement: str) -> str | None:
    """Return 'done', 'not-done' or 'invalid-index' for `statement`, None when unknown."""
    condition = post_condition(statement)
    if condition is None:
        return None
    row = conn.execute(_CHECKS[condition.kind], condition.arguments).fetchone()
    return row[0] if row and row[0] else "not-done"


def recorded_prefix(revision: Revision, steps: tuple[Step, ...], rows: list,
                    environment: str) -> int:
    """Return how many of `revision`'s first steps the ledger holds as applied.

    Raises:
        DriftError: a recorded step was edited since it ran (exit 3).
    """
    count = 0
    for row in sorted((r for r in rows if r.status == "applied"), key=lambda r: r.step):
        if row.step != count + 1:
            break
        if row.step > len(steps) or not _ran_as_recorded(steps[row.step - 1], row):
            raise DriftError(
                f"revision {revision.id} step {row.step} was edited after it was applied to "
                f"{environment} ({len([r for r in rows if r.status == 'applied'])} of "
                f"{len(steps)} steps applied)",
                hint=f"restore steps 1-{_applied_count(rows)} of {revision.file_name} as they "
                "ran (only the failed step and those after it may change), or put the change "
                "in a new revision",
            )
        count += 1
    return count


def _ran_as_recorded(step: Step, row) -> bool:
    """Tell whether a step is the one its ledger row recorded: the same checksum, or (a row an
    earlier nivomigrate wrote, with another checksum) the same kind and the very same SQL."""
    return step.checksum == row.checksum or (step.kind == row.kind and step.sql == row.sql)


def _applied_count(rows: list) -> int:
    return len([row for row in rows if row.status == "applied"])


def settle(run: StepRun, revision: Revision, step: Step, row, total: int) -> bool:
    """Settle a step an earlier run started or failed; return True when it is now recorded
    (it had taken effect), False when it is to run (after any repair).

    Raises:
        MigrationError: it may have taken effect and no post-condition tells (the message names
            the state, the hint the SQL to finish it).
    """
    if row is None or row.status == "applied" or step.kind == "transaction":
        return False  # a transactional step without its row never committed
    if step.kind == "live":
        return _settle_live(run, revision, row)
    state = state_of(run.conn, step.statements[0])
    if state == "done":
        ledger.record_step(run.conn, run.run_id, revision.id, step, "applied", how="recognised")
        run.say(f"{revision.id} step {step.index}/{total} had taken effect before the "
                "interruption: recorded, not run again")
        return True
    if state == "invalid-index":
        rebuild_invalid_index(run, step.statements[0])
        return False
    if state == "not-done" or row.status == "failed":
        return False  # a statement that failed changed nothing (an index is handled above)
    raise MigrationError(
        f"revision {revision.id} step {step.index} of {total} was started by run #{row.run_id},"
        f" which ended before recording it; whether it took effect is unknown: "
        f"{_short(step.statements[0])}",
        hint=_finish_hint(revision, step),
    )


def _finish_hint(revision: Revision, step: Step) -> str:
    return (f"check {revision.id}'s step {step.index} in the database; if it did not take "
            f"effect, run it: {step.statements[0]}; then record it: UPDATE nivomigrate.steps SET"
            f" status = 'applied', how = 'recognised' WHERE revision = '{revision.id}' AND step"
            f" = {step.index}; and re-run")


def _settle_live(run: StepRun, revision: Revision, row) -> bool:
    """A live revision is one alembic run: without an autocommit block it rolled back as a
    whole and runs again; with one, it may have committed a part, and nobody knows which."""
    from nivomigrate import migrations

    if "COMMIT;\n" not in migrations.render_sql(run.settings.versions_dir, revision).sql:
        return False
    raise MigrationError(
        f"revision {revision.id} needs the live connection (one non-resumable step) and run "
        f"#{row.run_id} ended inside it, after committing an unknown part of it",
        hint=f"finish or undo its statements by hand ({revision.file_name}), then record it: "
        f"nivomigrate repair {run.environment} --reason \"...\"; `lint` names such revisions",
    )


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= 160 else text[:157] + "..."


def clean_up_before_retry(run: StepRun, step: Step) -> None:
    """Before a statement is tried again: drop the INVALID index its failed try left behind."""
    if step.kind == "statement" and state_of(run.conn, step.statements[0]) == "invalid-index":
        rebuild_invalid_index(run, step.statements[0])


def rebuild_invalid_index(run: StepRun, statement: str) -> None:
    """Drop the INVALID index `statement` builds, once nothing is still building it (waited
    for within a bound), so the statement can build it again.

    Raises:
        MigrationError: another session is still building it.
    """
    condition = post_condition(statement)
    deadline = time.monotonic() + BUILDER_WAIT_S
    while builders := [r[0] for r in run.conn.execute(_BUILDERS_SQL, condition.arguments)]:
        if time.monotonic() > deadline:
            raise MigrationError(
                f"the INVALID index {condition.arguments['qualified']} is still being built by "
                f"pid {', '.join(map(str, builders))}",
                hint="wait for that build to end (or end it: SELECT pg_terminate_backend(pid)),"
                " then re-run",
            )
        time.sleep(0.2)
    run.say(f"dropping the INVALID index {condition.arguments['qualified']} left by an "
            "interrupted build, to build it again")
    run.conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {condition.arguments['qualified']}")


def end_orphans(conn: psycopg.Connection, run_id: int, say: Callable[[str], None],
                wait_s: float = 3.0) -> list[int]:
    """Wait (up to `wait_s`) for the backends of earlier runs to end, then terminate those left;
    return their pids. Called holding the run lock, so no other run is alive: a session
    named after another run belongs to a killed one."""
    own = ledger.run_application_name(run_id)
    pattern = ledger.RUN_APPLICATION_PREFIX.replace("%", r"\%") + "%"
    deadline = time.monotonic() + wait_s
    while rows := conn.execute(_ORPHANS_SQL, (pattern, own)).fetchall():
        if time.monotonic() > deadline:
            for pid, application in rows:
                say(f"ending pid {pid} ({application}), left by an interrupted run")
                conn.execute("select pg_terminate_backend(%s, 5000)", (pid,))
            return [pid for pid, _ in rows]
        time.sleep(0.2)
    return []


def unfinished_revisions(conn: psycopg.Connection, chain: list[Revision], current: str | None,
                         kind: str) -> list[tuple[Revision, int]]:
    """Return the revisions the database has reached that a run of `kind` applied but that no
    passed run of `kind` records, each with that run's id: it ended after their last commit
    (killed in its verification or before a later revision, or failed there). Only those whose
    SQL is still the SQL that ran: the next run of `kind` records them as its own.

    An edited one is left out (the `checksum` gate reports the edit before this run starts;
    `promote` then refuses it as not the SQL that ran on staging).
    """
    from nivomigrate.migrations import ran_as_recorded, up_to

    passed = ledger.accepted_checksums(conn, kinds=(kind, "baseline"))
    unfinished = ledger.unfinished_entries(conn, (kind,))
    return [(revision, unfinished[revision.id]["run_id"]) for revision in up_to(chain, current)
            if revision.id not in passed and revision.id in unfinished
            and ran_as_recorded(revision, unfinished[revision.id])]


def partial_progress(conn: psycopg.Connection, versions_dir, pending: list[Revision]
                     ) -> str | None:
    """Return "0003: 3 of 5 steps applied, failed at step 4: <reason>" for the first pending
    revision when it is partly applied or failed at a step; None otherwise."""
    from nivomigrate import migrations

    if not pending:
        return None
    revision = pending[0]
    rows = ledger.step_rows(conn, revision.id)
    if not rows:
        return None
    total = len(migrations.steps_of(versions_dir, revision))
    text = f"{revision.id}: {_applied_count(rows)} of {total} steps applied"
    stopped = next((row for row in rows if row.status != "applied"), None)
    if stopped is not None and stopped.status == "failed":
        return f"{text}, failed at step {stopped.step}: {stopped.reason}"
    if stopped is not None:
        return f"{text}, interrupted in step {stopped.step} (run #{stopped.run_id})"
    last = ledger.last_run(conn, ("apply", "promote"))
    if last is not None and last.status == "failed" and last.reason:
        return f"{text}, stopped before step {_applied_count(rows) + 1}: {last.reason}"
    return text


def is_partial(conn: psycopg.Connection, pending: list[Revision]) -> bool:
    """Tell whether the first pending revision has recorded steps (a run stopped inside it)."""
    return bool(pending) and any(row.status == "applied"
                                 for row in ledger.step_rows(conn, pending[0].id))


def partial_finding(conn: psycopg.Connection, versions_dir, pending: list[Revision],
                    environment: str):
    """Return a warning when a run stopped inside the first pending revision, else None.

    Its recorded steps are then the difference to the revision's schema, so the drift check
    is left to the verification after the run, which compares the whole schema.
    """
    from nivomigrate.findings import Finding, Location, Severity

    if not is_partial(conn, pending):
        return None
    return Finding(
        check="resume", severity=Severity.WARNING,
        message=f"{environment} is inside a revision "
        f"({partial_progress(conn, versions_dir, pending)}); the next run resumes it at its "
        "first unrecorded step",
        location=Location(object=pending[0].id),
        help="the drift check waits for the verification after that run, which compares the "
        "whole schema",
        environment=environment,
    )
