"""Run revisions step by step on the run's one connection: the steps rendered once from
alembic's offline mode (so every database runs the same statements), each recorded in the step
ledger, resumed after an interruption at the first step not recorded. Session timeouts come
from the connection; a lock timeout retries the step, never the revision from the top; an
error names the blocking session; optionally each statement's measured lock footprint is
projected onto production's table sizes.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nivomigrate.errors import DatabaseConnectionError, MigrationError, NivoError
from nivomigrate.footprint import (
    AppliedRevision,
    HeldLock,
    StatementFootprint,
    TableFootprint,
)

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.db import Target
    from nivomigrate.migrations import Revision, Step

LOCK_NOT_AVAILABLE = "55P03"
RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 10.0
# Called as hook(moment, revision id, step number, step kind) at each boundary of a run: per
# step "before-execute", "after-execute" (before the step is recorded), "after-record"; per
# revision "after-version" (alembic_version moved, step 0); per run (engine/run.py, with the
# run id for the revision and step 0) "before-verify", "after-verify" (before the run is
# recorded), "after-finish". Empty in normal runs; the fault-injection tests and
# benchmarks/bench_resume.py register one that kills the process there.
BOUNDARY_HOOKS: list[Callable[[str, str, int, str], None]] = []

_BLOCKERS_SQL = """
select a.pid, a.application_name, a.state,
       extract(epoch from now() - coalesce(a.xact_start, a.query_start))::float8,
       a.query
from pg_stat_activity a where a.pid = any(pg_blocking_pids(%s))
"""
_LOCKS_SQL = """
select l.relation::int8, l.mode from pg_locks l
where l.pid = %s and l.locktype = 'relation' and l.granted
  and l.database = (select oid from pg_database where datname = current_database())
"""
# Read on the migration's own connection, so it sees the statement's uncommitted catalog rows.
_TABLES_SQL = """
select c.oid::int8, c.relname, c.relfilenode::int8, c.reltuples::int8,
       pg_total_relation_size(c.oid), coalesce(x.seq_scan, 0)
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
left join pg_stat_xact_user_tables x on x.relid = c.oid
where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\\_toast%%'
"""
_VERSION_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))")


@dataclass
class StepRun:
    """One run of steps: its connection (holding the run lock), its ledger id, its options."""

    settings: Settings
    conn: psycopg.Connection
    run_id: int
    environment: str = "staging"
    is_promotion: bool = False
    measure_footprint: bool = False
    say: Callable[[str], None] = lambda message: None
    retry_delay_s: float = RETRY_DELAY_S
    applied: list[AppliedRevision] = field(default_factory=list)


def apply_revisions(
    settings: Settings,
    target: Target,
    revisions: list[Revision],
    *,
    measure_footprint: bool = False,
    progress: Callable[[str], None] | None = None,
    production: Target | None = None,
    retry_delay_s: float = RETRY_DELAY_S,
) -> list[AppliedRevision]:
    """Apply `revisions` to `target` on a connection of their own, holding its run lock, with
    the steps recorded in its ledger (a run outside the ledger's runs: run id 0).

    Raises:
        MigrationError: as `run_steps`.
        LockHeldError: another run holds the lock.
    """
    from nivomigrate import db, ledger

    session = db.SessionSettings.from_timeouts(settings.timeouts)
    with db.connection(target, writes=True, session=session) as conn:
        ledger.take_lock(conn, target.name)
        try:
            ledger.ensure_ledger(conn)
            run = StepRun(settings, conn, 0, target.name, measure_footprint=measure_footprint,
                          say=progress or (lambda message: None), retry_delay_s=retry_delay_s)
            return run_steps(run, target, revisions, production=production)
        finally:
            ledger.release_lock(conn)


def run_steps(run: StepRun, target: Target, revisions: list[Revision], *,
              production: Target | None = None) -> list[AppliedRevision]:
    """Apply `revisions` in order, step by step, resuming a revision partly applied before.

    A lock timeout (SQLSTATE 55P03) retries the step, `settings.timeouts.lock_retries` times
    in all, with exponential backoff from `run.retry_delay_s`.

    Args:
        target: the database of `run.conn`, for the monitoring session.
        production: a target whose table sizes the footprint is projected onto (read-only).

    Raises:
        MigrationError: a step failed or gave up on a lock; `.result` holds the
            `AppliedRevision`s completed before it; the steps that passed stay recorded.
        DriftError: a recorded step of a partly applied revision was edited.
    """
    from nivomigrate import db, ledger
    from nivomigrate.engine import resume

    resume.end_orphans(run.conn, run.run_id, run.say)
    with db.connection(target, writes=False) as monitor:
        if run.run_id:
            ledger.name_session(monitor, run.run_id)
        for revision in revisions:
            run.say(f"applying {revision.id} ({revision.message})")
            result = _apply_revision(run, monitor, revision)
            if production is not None and result.footprint:
                result = _with_production_sizes(result, production, run.say)
            run.applied.append(result)
    return list(run.applied)


def _apply_revision(run: StepRun, monitor, revision: Revision) -> AppliedRevision:
    from nivomigrate import ledger, migrations
    from nivomigrate.engine import resume

    steps = migrations.steps_of(run.settings.versions_dir, revision)
    rows = {row.step: row for row in ledger.step_rows(run.conn, revision.id)}
    done = resume.recorded_prefix(revision, steps, list(rows.values()), run.environment)
    if done:
        run.say(f"{revision.id}: resuming at step {done + 1} of {len(steps)} "
                f"(steps 1-{done} are recorded and are not run again)")
    ledger.forget_steps_after(run.conn, revision.id, len(steps))
    started = time.perf_counter()
    watcher = _Watcher(monitor, sample_locks=run.measure_footprint)
    recorder = _Recorder(watcher) if run.measure_footprint else None
    attempts = 1
    with watcher.watching(run.conn.info.backend_pid):
        for step in steps[done:]:
            _check_lock(run, revision, step, len(steps))
            if resume.settle(run, revision, step, rows.get(step.index), len(steps)):
                continue
            attempts = max(attempts, _run_with_retries(run, revision, step, len(steps),
                                                       watcher, recorder))
    _record_version(run, revision, steps)
    boundary("after-version", revision.id)
    footprint = tuple(recorder.statements) if recorder is not None else ()
    return AppliedRevision(revision, attempts, time.perf_counter() - started, footprint)


def _check_lock(run: StepRun, revision: Revision, step: Step, total: int) -> None:
    """End the run at this step boundary when its session no longer holds the run lock."""
    from nivomigrate import ledger

    if not run.run_id or ledger.holds_lock(run.conn):
        return
    raise DatabaseConnectionError(
        f"the run lost its lock of {run.environment} before step {step.index} of {total} of "
        f"revision {revision.id}",
        hint="another session released or took it; re-run: the recorded steps are not run again",
    )


def _run_with_retries(run: StepRun, revision: Revision, step: Step, total: int,
                      watcher: _Watcher, recorder: _Recorder | None) -> int:
    """Run one step, retrying it after a lock timeout; return the attempts it took."""
    from nivomigrate.engine import resume

    tries = max(1, run.settings.timeouts.lock_retries)
    for attempt in range(1, tries + 1):
        try:
            if attempt > 1:
                resume.clean_up_before_retry(run, step)
            _run_step(run, revision, step, recorder)
            return attempt
        except NivoError:
            raise  # refused, unreachable or edited: not the step's fault
        except Exception as exc:
            if _connection_lost(run.conn):  # the run's session is gone, and its lock with it
                raise getattr(exc, "orig", None) or exc from exc
            if _sqlstate(exc) == LOCK_NOT_AVAILABLE and attempt < tries:
                delay = min(MAX_RETRY_DELAY_S, run.retry_delay_s * 2 ** (attempt - 1))
                delay *= 1 + random.uniform(0, 0.2)
                run.say(f"{revision.id} step {step.index}/{total}: lock timeout (attempt "
                        f"{attempt}/{tries}, {_describe_blockers(watcher.blockers)}); "
                        f"retrying the step in {delay:.1f} s")
                time.sleep(delay)
                continue
            error = _migration_error(run, revision, step, total, exc, attempt, watcher)
            _record_failure(run, revision, step, error.message)
            raise error from exc
    raise AssertionError("unreachable")


def _run_step(run: StepRun, revision: Revision, step: Step, recorder: _Recorder | None) -> None:
    """Execute one step and record it: a transactional step commits with its ledger row; a
    statement is recorded 'started' before and 'applied' after it ran."""
    from nivomigrate import ledger

    _boundary("before-execute", revision, step)
    if step.kind == "transaction":
        with run.conn.transaction():
            _execute(run.conn, step, recorder)
            _boundary("after-execute", revision, step)
            ledger.record_step(run.conn, run.run_id, revision.id, step, "applied",
                               how="executed")
    else:
        ledger.record_step(run.conn, run.run_id, revision.id, step, "started")
        if step.kind == "live":
            _run_live(run, revision)
        else:
            _execute(run.conn, step, recorder)
        _boundary("after-execute", revision, step)
        ledger.record_step(run.conn, run.run_id, revision.id, step, "applied", how="executed")
    _boundary("after-record", revision, step)


def _execute(conn, step: Step, recorder: _Recorder | None) -> None:
    for statement in step.statements:
        if recorder is not None:
            recorder.before(conn, statement)
        conn.execute(statement)  # no parameters: psycopg sends the text as it is
        if recorder is not None:
            recorder.after(conn, statement)


def _run_live(run: StepRun, revision: Revision) -> None:
    """Run a revision that needs the live connection with alembic, on the run's connection
    (SQLAlchemy borrows it: StaticPool hands out this one connection and is never disposed)."""
    import sqlalchemy
    from sqlalchemy.pool import StaticPool

    from nivomigrate import migrations

    run.conn.autocommit = False
    try:
        engine = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: run.conn,
                                          poolclass=StaticPool)
        with engine.connect() as connection:
            migrations.upgrade(run.settings.versions_dir, connection, revision.id)
            if connection.in_transaction():
                connection.commit()
    finally:
        if not _connection_lost(run.conn):
            run.conn.rollback()
            run.conn.autocommit = True


def _record_version(run: StepRun, revision: Revision, steps: tuple[Step, ...]) -> None:
    """Move alembic_version to `revision` and mark its steps complete, in one transaction (a
    live revision's alembic run has moved it already)."""
    from nivomigrate import ledger

    with run.conn.transaction():
        if not any(step.kind == "live" for step in steps):
            run.conn.execute(_VERSION_TABLE_SQL)
            run.conn.execute("DELETE FROM alembic_version")
            run.conn.execute("INSERT INTO alembic_version (version_num) VALUES (%s)",
                             (revision.id,))
        ledger.complete_revision(run.conn, revision.id)


def _boundary(moment: str, revision: Revision, step: Step) -> None:
    boundary(moment, revision.id, step.index, step.kind)


def boundary(moment: str, where: str | int, step: int = 0, kind: str = "") -> None:
    """Call the boundary hooks (see BOUNDARY_HOOKS) at `moment` of revision or run `where`."""
    for hook in BOUNDARY_HOOKS:
        hook(moment, str(where), step, kind)


def _record_failure(run: StepRun, revision: Revision, step: Step, reason: str) -> None:
    from nivomigrate import ledger

    if step.kind == "transaction" or not _connection_lost(run.conn):
        ledger.record_step(run.conn, run.run_id, revision.id, step, "failed", reason=reason)


def _connection_lost(conn) -> bool:
    return bool(conn.broken or conn.closed)


def _sqlstate(exc: BaseException) -> str | None:
    while exc is not None:
        state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None),
                                                             "sqlstate", None)
        if state:
            return state
        exc = exc.__cause__ or exc.__context__
    return None


def _migration_error(run: StepRun, revision: Revision, step: Step, total: int,
                     exc: BaseException, attempts: int, watcher: _Watcher) -> MigrationError:
    from nivomigrate.redaction import redact

    at = (f"revision {run.applied[-1].revision.id}" if run.applied
          else "its starting revision")
    where = f"revision {revision.id} step {step.index} of {total} ({step.kind})"
    kept = (f"steps 1-{step.index - 1} of {revision.id} stay applied and are not run again; "
            if step.index > 1 else "") + f"the database stays at {at}"
    if _sqlstate(exc) == LOCK_NOT_AVAILABLE:
        message = (f"{where} gave up after {attempts} lock timeouts "
                   f"({run.settings.timeouts.lock_timeout_ms} ms each): "
                   f"{_describe_blockers(watcher.blockers)}")
        hint = ("end or wait out the blocking session (pg_terminate_backend(pid) if it is "
                f"stuck), then re-run; {kept}")
    else:
        original = getattr(exc, "orig", None) or exc
        text = str(original).strip().splitlines()
        message = f"{where} failed: {text[0] if text else type(exc).__name__}"
        if run.is_promotion:
            hint = (f"it passed on staging: fix {run.environment}'s data and re-run, or add a "
                    f"revision that makes it pass (apply it to staging first); {kept}")
        else:
            hint = ("fix the revision (the failed step and those after it may be edited) or "
                    f"the data, and re-run; {kept}")
    return MigrationError(redact(message), hint=redact(hint), result=list(run.applied))


def _describe_blockers(blockers: list[tuple]) -> str:
    if not blockers:
        return "the blocking session was not seen"
    parts = []
    for pid, application, state, seconds, query in blockers:
        short = " ".join((query or "").split())
        short = short if len(short) <= 80 else short[:77] + "..."
        parts.append(f"blocked by pid {pid} (application_name {application or ''!r}, "
                     f"state {state!r}, for {seconds or 0:.1f} s): {short}")
    return "; ".join(parts)


class _Watcher:
    """A thread on the monitoring connection: who blocks the migration, and its locks."""

    def __init__(self, monitor: psycopg.Connection, sample_locks: bool):
        self.monitor = monitor
        self.sample_locks = sample_locks
        self.blockers: list[tuple] = []
        self.sampled: set[tuple[int, str]] = set()
        self.sampling = False
        self.pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def watching(self, pid: int):
        from contextlib import contextmanager

        @contextmanager
        def run():
            self.pid = pid
            thread = threading.Thread(target=self._loop, daemon=True)
            thread.start()
            try:
                yield
            finally:
                self._stop.set()
                thread.join()
        return run()

    def locks(self) -> set[tuple[int, str]]:
        """The migration backend's relation locks; none once the monitor is gone (it was
        terminated: the footprint then misses them, the run goes on)."""
        import psycopg

        with self._lock:
            try:
                return {(r, m) for r, m in self.monitor.execute(_LOCKS_SQL, (self.pid,))}
            except psycopg.Error:
                return set()

    def start_sampling(self) -> None:
        with self._lock:
            self.sampled, self.sampling = set(), True

    def stop_sampling(self) -> set[tuple[int, str]]:
        with self._lock:
            self.sampling = False
            return self.sampled

    def _loop(self) -> None:
        import psycopg

        interval = 0.002 if self.sample_locks else 0.05
        while not self._stop.wait(interval):
            with self._lock:
                try:
                    rows = self.monitor.execute(_BLOCKERS_SQL, (self.pid,)).fetchall()
                    if self.sampling:
                        self.sampled |= set(self.monitor.execute(_LOCKS_SQL, (self.pid,)))
                except psycopg.Error:
                    return  # the monitor is gone: blockers go unnamed, the run goes on
                if rows:
                    self.blockers = rows


class _Recorder:
    """Measures each statement of the migration connection: locks, duration, rewrites."""

    def __init__(self, watcher: _Watcher):
        self.watcher = watcher
        self.statements: list[StatementFootprint] = []
        self._before: tuple | None = None

    def before(self, conn, statement: str) -> None:
        tables = _tables(conn)
        locks = self.watcher.locks()
        self.watcher.start_sampling()
        self._before = (tables, locks, time.perf_counter())

    def after(self, conn, statement: str) -> None:
        if self._before is None:
            return
        duration = time.perf_counter() - self._before[2]
        sampled = self.watcher.stop_sampling()
        tables_before, locks_before, _ = self._before
        # Locks taken earlier in the transaction belong to the statement that took them.
        held = (sampled | self.watcher.locks()) - locks_before
        tables_after = _tables(conn)
        locks, touched = [], {}
        for oid, mode in sorted(held, key=lambda item: (item[0], item[1])):
            if oid in tables_before and tables_before[oid][0] != "alembic_version":
                locks.append(HeldLock(tables_before[oid][0], mode))
                touched[oid] = tables_before[oid]
        self._before = None
        if not locks:
            return
        footprints = tuple(
            TableFootprint(
                table=name, rows=rows if rows >= 0 else None, bytes=size,
                rewritten=oid in tables_after and tables_after[oid][1] != filenode,
                scanned=oid in tables_after and tables_after[oid][4] > scans,
            )
            for oid, (name, filenode, rows, size, scans) in touched.items()
        )
        self.statements.append(StatementFootprint(" ".join(statement.split()), duration,
                                                  tuple(dict.fromkeys(locks)), footprints))


def _tables(dbapi_connection) -> dict[int, tuple]:
    rows = dbapi_connection.execute(_TABLES_SQL).fetchall()
    return {oid: (name, filenode, tuples, size, scans)
            for oid, name, filenode, tuples, size, scans in rows}


def _with_production_sizes(applied: AppliedRevision, production: Target,
                           say: Callable[[str], None]) -> AppliedRevision:
    """Add production's table sizes to the footprint; without them when production is out of
    reach (the footprint then stays unprojected, and the revision stays applied)."""
    from dataclasses import replace

    from nivomigrate import db
    from nivomigrate.checks.blocking_lock_on_large_table import table_size
    from nivomigrate.errors import NivoError

    names = {t.table for s in applied.footprint for t in s.tables}
    try:
        with db.connection(production, writes=False) as conn:
            sizes = {name: table_size(conn, name) for name in names}
    except NivoError as exc:
        say(f"could not read {production.name}'s table sizes ({exc.message}); "
            "the footprint is not projected")
        return applied
    statements = tuple(
        replace(s, tables=tuple(
            replace(t, production_rows=(sizes[t.table] or (None, None))[0],
                    production_bytes=(sizes[t.table] or (None, None))[1])
            for t in s.tables))
        for s in applied.footprint)
    return replace(applied, footprint=statements)




