"""The ledger: a `nivomigrate.runs` table in each managed database, and the run lock.

A run is written on its own autocommit connection, so a failed migration cannot roll its
record back. A session advisory lock keeps two runs on one database from overlapping; the run
that takes it marks as failed any run a killed process left "running".
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import TYPE_CHECKING

from nivomigrate.errors import LockHeldError

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.migrations import Revision

_SCHEMA_SQL = resources.files(__package__).joinpath("ledger.sql").read_text()
LOCK_KEY = 0x6E69766F  # "nivo"
_LOCK_TRIES = 5
ORPHAN_WAIT_S = 6.0
# A run's sessions are named after it, so that the next run can find a killed one's backends.
RUN_APPLICATION_PREFIX = "nivomigrate run "
_COLUMNS = (
    "id, kind, environment, from_revision, to_revision, revisions, fingerprint_before, "
    "fingerprint_after, git_commit, git_branch, git_dirty, actor, started_at, finished_at, "
    "status, reason, checks, restore_point, staging_run_id, allow_drift, "
    # a ledger made before signatures has no such column until the next writing run
    "to_jsonb(r) ->> 'signature'"
)


@dataclass(frozen=True)
class GitState:
    commit: str | None = None
    branch: str | None = None
    is_dirty: bool = False
    dirty_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Run:
    """One recorded run."""

    id: int
    kind: str
    environment: str
    from_revision: str | None
    to_revision: str | None
    revisions: list[dict]
    fingerprint_before: str | None
    fingerprint_after: str | None
    git_commit: str | None
    git_branch: str | None
    git_dirty: bool | None
    actor: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    reason: str | None
    checks: list[dict] = field(default_factory=list)
    restore_point: dict | None = None
    staging_run_id: int | None = None
    allow_drift: bool = False
    signature: str | None = field(default=None, repr=False)


def revision_entries(revisions: list[Revision]) -> list[dict]:
    """Return what the ledger keeps of each revision: id, file and both checksums."""
    return [
        {"id": r.id, "file": r.file_name, "file_checksum": r.file_checksum,
         "sql_checksum": r.sql_checksum, "steps": list(r.step_checksums)}
        for r in revisions
    ]


def ensure_ledger(conn: psycopg.Connection) -> None:
    """Create the ledger schema and table when missing.

    Raises:
        ConfigError: the role may not create them (`nivomigrate doctor` says so beforehand).
    """
    import psycopg

    from nivomigrate.errors import ConfigError

    try:
        conn.execute(_SCHEMA_SQL)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ConfigError(
            f"role {conn.info.user} may not create nivomigrate's ledger: "
            f"{(str(exc).strip().splitlines() or [''])[0]}",
            hint=f'grant create on database "{conn.info.dbname}" to "{conn.info.user}" (or create '
            "schema nivomigrate owned by it), or use the role that owns the schema",
        ) from None


def has_ledger(conn: psycopg.Connection) -> bool:
    row = conn.execute("select to_regclass('nivomigrate.runs') is not null").fetchone()
    return bool(row[0])


def take_lock(conn: psycopg.Connection, environment: str, *, shared: bool = False) -> None:
    """Take the run lock of this database for the session, or say who holds it.

    `shared`: the lock a promotion holds on the database it promotes from (staging): several
    promotions of a fleet read staging at once, while a run on staging itself (exclusive)
    waits for all of them, and they for it.

    Raises:
        LockHeldError: another session holds it (named: pid, application, since when).
    """
    deadline = time.monotonic() + ORPHAN_WAIT_S
    attempt = 0
    while True:
        if conn.execute(_TRY_SHARED_SQL if shared else _TRY_SQL, (LOCK_KEY,)).fetchone()[0]:
            return
        holder = conn.execute(_HOLDER_SQL, (LOCK_KEY,)).fetchone()
        attempt += 1
        # A holder that just ended may still be exiting; a killed run's backend ends within
        # client_connection_check_interval (db.py), so it is waited for, within a bound.
        if holder is None and attempt < _LOCK_TRIES:
            time.sleep(0.1 * attempt)
            continue
        if holder is None or not _is_run_backend(holder[1]) or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    if holder is None:
        description = "another session"
    else:
        pid, application, since, state, client = holder
        description = (f"pid {pid} ({application or 'no application name'}, {state}, "
                       f"connected since {since:%Y-%m-%d %H:%M:%S %Z}, client {client or 'local'})")
    raise LockHeldError(
        f"another nivomigrate run holds the lock of {environment}: {description}",
        hint="wait for it to finish; if its process is gone, the server ends the session soon "
        "(client_connection_check_interval), or end it with pg_terminate_backend(pid)",
    )


_TRY_SQL = "select pg_try_advisory_lock(%s)"
_TRY_SHARED_SQL = "select pg_try_advisory_lock_shared(%s)"


def _is_run_backend(application: str | None) -> bool:
    return (application or "").startswith(RUN_APPLICATION_PREFIX)


_HOLDER_SQL = """
select a.pid, a.application_name, a.backend_start, a.state, a.client_addr::text
from pg_locks l join pg_stat_activity a on a.pid = l.pid
where l.locktype = 'advisory' and l.objid = %s and l.granted
  and l.database = (select oid from pg_database where datname = current_database())
limit 1
"""


def release_lock(conn: psycopg.Connection) -> None:
    """Release the run lock; nothing to do when the session is gone (its lock went with it)."""
    if conn.broken or conn.closed:
        return
    conn.execute("select pg_advisory_unlock(%s)", (LOCK_KEY,))


def fail_abandoned_runs(conn: psycopg.Connection) -> list[int]:
    """Mark as failed the runs left "running" by a process that is gone; return their ids."""
    rows = conn.execute(
        "update nivomigrate.runs set status = 'failed', finished_at = clock_timestamp(), "
        "reason = 'interrupted: the process ended before the run finished' "
        "where status = 'running' and backend_pid <> pg_backend_pid() returning id"
    ).fetchall()
    return [row[0] for row in rows]


def start_run(conn: psycopg.Connection, *, kind: str, environment: str,
              from_revision: str | None, to_revision: str | None, revisions: list[dict],
              fingerprint_before: str | None, git: GitState, actor: str,
              restore_point: dict | None = None, staging_run_id: int | None = None,
              allow_drift: bool = False) -> int:
    """Record a run as running and return its id.

    A sequence behind the table's ids (a database restored or crashed with its sequence older
    than its rows) is moved past the last id, once, instead of failing on a duplicate id.
    """
    import psycopg

    params = (kind, environment, from_revision, to_revision, json.dumps(revisions),
              fingerprint_before, git.commit, git.branch, git.is_dirty, actor,
              json.dumps(restore_point) if restore_point else None, staging_run_id, allow_drift)
    for attempt in range(2):
        try:
            with conn.transaction():
                return conn.execute(_INSERT_RUN_SQL, params).fetchone()[0]
        except psycopg.errors.UniqueViolation:
            if attempt:
                raise
            conn.execute(_SEQUENCE_PAST_IDS_SQL)
    raise AssertionError("unreachable")


_INSERT_RUN_SQL = (
    "insert into nivomigrate.runs (kind, environment, from_revision, to_revision, revisions,"
    " fingerprint_before, git_commit, git_branch, git_dirty, actor, restore_point,"
    " staging_run_id, allow_drift)"
    " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) returning id")
_SEQUENCE_PAST_IDS_SQL = (
    "select setval(pg_get_serial_sequence('nivomigrate.runs', 'id'), "
    "(select max(id) from nivomigrate.runs))")


def finish_run(conn: psycopg.Connection, run_id: int, *, status: str,
               fingerprint_after: str | None = None, to_revision: str | None = None,
               checks: list[dict] | None = None, reason: str | None = None,
               signature: str | None = None) -> None:
    """Record how a run ended (reason and checks redacted: see `redaction`), with its
    signature (`signing.sign`, over the values recorded here) in the same statement."""
    from nivomigrate.redaction import redact

    conn.execute(
        "update nivomigrate.runs set status = %s, finished_at = clock_timestamp(),"
        " fingerprint_after = coalesce(%s, fingerprint_after),"
        " to_revision = coalesce(%s, to_revision), checks = coalesce(%s, checks),"
        " reason = %s, signature = %s where id = %s",
        (status, fingerprint_after, to_revision,
         redact(json.dumps(checks)) if checks is not None else None,
         redact(reason) if reason else reason, signature, run_id),
    )


def run_by_id(conn: psycopg.Connection, run_id: int) -> Run | None:
    """Return the run recorded as `run_id`, None when there is none."""
    row = conn.execute(f"select {_COLUMNS} from nivomigrate.runs r where id = %s",
                       (run_id,)).fetchone()
    return Run(*row) if row else None


def passed_runs(conn: psycopg.Connection, kinds: tuple[str, ...] = ("apply",)) -> list[Run]:
    """Return every passed run of `kinds`, oldest first; none without a ledger."""
    if not has_ledger(conn):
        return []
    rows = conn.execute(
        f"select {_COLUMNS} from nivomigrate.runs r where status = 'passed' and kind = any(%s)"
        " order by id", (list(kinds),)).fetchall()
    return [Run(*row) for row in rows]


def checksums_of(runs: list[Run]) -> dict[str, dict]:
    """Return, per revision id, the checksums the last of `runs` (oldest first) recorded
    (`accepted_checksums` over a chosen set of runs)."""
    return {entry["id"]: entry for run in runs for entry in run.revisions}


def append_checks(conn: psycopg.Connection, run_id: int, entries: list[dict]) -> None:
    """Add entries to a finished run's checks (redacted like `finish_run`'s)."""
    from nivomigrate.redaction import redact

    conn.execute("update nivomigrate.runs set checks = checks || %s::jsonb where id = %s",
                 (redact(json.dumps(entries)), run_id))


def runs(conn: psycopg.Connection, limit: int = 50) -> list[Run]:
    """Return the newest runs first; none when the database has no ledger."""
    if not has_ledger(conn):
        return []
    rows = conn.execute(
        f"select {_COLUMNS} from nivomigrate.runs r order by id desc limit %s", (limit,)
    ).fetchall()
    return [Run(*row) for row in rows]


def last_passed_run(conn: psycopg.Connection, to_revision: str | None,
                    kinds: tuple[str, ...] = ("apply",)) -> Run | None:
    """Return the newest passed run of `kinds` that reached `to_revision`."""
    if not has_ledger(conn):
        return None
    row = conn.execute(
        f"select {_COLUMNS} from nivomigrate.runs r where status = 'passed' and kind = any(%s)"
        " and to_revision is not distinct from %s order by id desc limit 1",
        (list(kinds), to_revision),
    ).fetchone()
    return Run(*row) if row else None


def last_run(conn: psycopg.Connection, kinds: tuple[str, ...] = ("apply",)) -> Run | None:
    if not has_ledger(conn):
        return None
    row = conn.execute(
        f"select {_COLUMNS} from nivomigrate.runs r where kind = any(%s) order by id desc limit 1",
        (list(kinds),),
    ).fetchone()
    return Run(*row) if row else None


def accepted_checksums(conn: psycopg.Connection,
                       kinds: tuple[str, ...] = ("apply", "promote", "baseline", "repair"),
                       ) -> dict[str, dict]:
    """Return, per revision id, the checksums last recorded by a passed run of `kinds`."""
    accepted: dict[str, dict] = {}
    if not has_ledger(conn):
        return accepted
    rows = conn.execute(
        "select revisions from nivomigrate.runs where status = 'passed' and kind = any(%s)"
        " order by id", (list(kinds),)
    ).fetchall()
    for (entries,) in rows:
        for entry in entries:
            accepted[entry["id"]] = entry
    return accepted


def unfinished_entries(conn: psycopg.Connection, kinds: tuple[str, ...]) -> dict[str, dict]:
    """Return, per revision id, the entry recorded by the newest run of `kinds` that listed
    it and did not pass (killed, failed, or left running), with that run's id as `run_id`."""
    found: dict[str, dict] = {}
    if not has_ledger(conn):
        return found
    rows = conn.execute("select id, revisions from nivomigrate.runs where status <> 'passed'"
                        " and kind = any(%s) order by id", (list(kinds),)).fetchall()
    for run_id, entries in rows:
        for entry in entries:
            found[entry["id"]] = {**entry, "run_id": run_id}
    return found


def applied_checksums(conn: psycopg.Connection) -> dict[str, dict]:
    """Return `accepted_checksums`, plus, for a revision no passed run records, what the run
    that applied it and did not finish recorded (a run killed after its last commit)."""
    return {**unfinished_entries(conn, ("apply", "promote")), **accepted_checksums(conn)}


def restore_point(conn: psycopg.Connection) -> dict:
    """Return the server time and WAL position to hand to point-in-time recovery."""
    import psycopg

    try:
        now, lsn = conn.execute("select clock_timestamp(), pg_current_wal_lsn()::text").fetchone()
    except psycopg.Error:
        now, lsn = conn.execute("select clock_timestamp(), null").fetchone()
    return {"server_time": now.isoformat(), "wal_lsn": lsn}


def git_state(root, versions_dir) -> GitState:
    """Return the commit, branch and uncommitted revision files of the project's git tree."""
    try:
        import git

        repo = git.Repo(root, search_parent_directories=True)
    except Exception:
        return GitState()
    try:
        commit = repo.head.commit.hexsha
    except ValueError:
        commit = None
    branch = None if repo.head.is_detached else repo.active_branch.name
    top = repo.working_tree_dir
    relative = str(versions_dir.resolve().relative_to(top)) if top else "."
    dirty = [item.a_path for item in repo.index.diff(None) if item.a_path.startswith(relative)]
    if commit:
        dirty += [item.a_path for item in repo.index.diff("HEAD")
                  if item.a_path.startswith(relative)]
    dirty += [path for path in repo.untracked_files if path.startswith(relative)]
    dirty = [path for path in dirty if path.endswith(".py")]  # revisions, not caches
    return GitState(commit, branch, bool(dirty), tuple(sorted(set(dirty))))


def footprints_of(run: Run, revision_ids: set[str]) -> list[dict]:
    """Return the lock footprints `run` measured for `revision_ids` (docs/json-report.md)."""
    return [entry["footprint"] for entry in run.checks
            if entry.get("footprint") and entry["footprint"]["revision"] in revision_ids]


# --- steps -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StepRow:
    """What the ledger holds of one step of a revision not yet complete."""

    revision: str
    step: int
    kind: str
    checksum: str
    sql: str
    status: str
    how: str | None
    run_id: int
    attempts: int
    reason: str | None


_STEP_COLUMNS = "revision, step, kind, checksum, sql, status, how, run_id, attempts, reason"


def run_application_name(run_id: int) -> str:
    """Return the application_name of a run's sessions."""
    return f"{RUN_APPLICATION_PREFIX}{run_id}"


def name_session(conn: psycopg.Connection, run_id: int) -> None:
    """Put the run id in the session's application_name (pg_stat_activity shows it)."""
    conn.execute("select set_config('application_name', %s, false)",
                 (run_application_name(run_id),))


def step_rows(conn: psycopg.Connection, revision: str) -> list[StepRow]:
    """Return the rows of `revision`'s steps not yet complete, by step; none without a ledger."""
    if not conn.execute("select to_regclass('nivomigrate.steps') is not null").fetchone()[0]:
        return []
    rows = conn.execute(
        f"select {_STEP_COLUMNS} from nivomigrate.steps where revision = %s and not complete"
        " order by step", (revision,)).fetchall()
    return [StepRow(*row) for row in rows]


def record_step(conn: psycopg.Connection, run_id: int, revision: str, step, status: str, *,
                how: str | None = None, reason: str | None = None) -> None:
    """Record `step` (a migrations.Step) of `revision` as started, applied or failed."""
    conn.execute(
        "insert into nivomigrate.steps (revision, step, kind, checksum, sql, status, how, run_id,"
        " reason) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " on conflict (revision, step) do update set kind = excluded.kind,"
        " checksum = excluded.checksum, sql = excluded.sql, status = excluded.status,"
        " how = excluded.how, reason = excluded.reason, complete = false,"
        " attempts = nivomigrate.steps.attempts"
        " + (nivomigrate.steps.run_id <> excluded.run_id"
        " or excluded.status = 'started')::int,"
        " run_id = excluded.run_id, recorded_at = clock_timestamp()",
        (revision, step.index, step.kind, step.checksum, step.sql, status, how, run_id,
         reason[:2000] if reason else None),
    )


def forget_steps_after(conn: psycopg.Connection, revision: str, last: int) -> None:
    """Forget the rows of `revision`'s steps past `last` (an edited revision has fewer)."""
    conn.execute("delete from nivomigrate.steps where revision = %s and step > %s"
                 " and not complete and status <> 'applied'", (revision, last))


def complete_revision(conn: psycopg.Connection, revision: str) -> None:
    """Mark `revision`'s step rows complete (in the transaction that records its version)."""
    conn.execute("update nivomigrate.steps set complete = true where revision = %s",
                 (revision,))


def holds_lock(conn: psycopg.Connection) -> bool:
    """Tell whether this session still holds the run lock."""
    return bool(conn.execute(
        "select exists (select 1 from pg_locks where locktype = 'advisory' and objid = %s"
        " and pid = pg_backend_pid() and granted)", (LOCK_KEY,)).fetchone()[0])
