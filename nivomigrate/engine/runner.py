"""Apply revisions safely: one transaction per revision, session timeouts, retries on lock
timeouts, an error that names the blocking session, and (optionally) each statement's measured
lock footprint projected onto production's table sizes.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from nivomigrate.errors import MigrationError, NivoError
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
    from nivomigrate.migrations import Revision

LOCK_NOT_AVAILABLE = "55P03"
RETRY_DELAY_S = 0.5
MAX_RETRY_DELAY_S = 10.0

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
    """Apply `revisions` in order, each in its own transaction, with the settings' timeouts.

    A lock timeout (SQLSTATE 55P03) is retried `settings.timeouts.lock_retries` times in all,
    with exponential backoff from `retry_delay_s`.

    Args:
        measure_footprint: record each statement's locks, duration, rewrite and table sizes.
        production: a target whose table sizes the footprint is projected onto (read-only).

    Raises:
        MigrationError: a revision failed or gave up on a lock; `.result` holds the
            `AppliedRevision`s applied before it (the database stays at the last of them).
    """
    from nivomigrate import db

    session = db.SessionSettings.from_timeouts(settings.timeouts)
    engine = db.sqlalchemy_engine(target, writes=True, session=session)
    say = progress or (lambda message: None)
    applied: list[AppliedRevision] = []
    try:
        with db.connection(target, writes=False) as monitor:
            for revision in revisions:
                say(f"applying {revision.id} ({revision.message})")
                result = _apply_with_retries(settings, engine, monitor, revision, applied,
                                             measure_footprint, say, retry_delay_s)
                if production is not None and result.footprint:
                    result = _with_production_sizes(result, production, say)
                applied.append(result)
    finally:
        engine.dispose()
    return applied


def _apply_with_retries(settings, engine, monitor, revision, applied, measure, say,
                        retry_delay_s) -> AppliedRevision:
    tries = max(1, settings.timeouts.lock_retries)
    started = time.perf_counter()
    for attempt in range(1, tries + 1):
        watcher = _Watcher(monitor, sample_locks=measure)
        try:
            footprint = _apply_one(settings, engine, revision, watcher)
            return AppliedRevision(revision, attempt, time.perf_counter() - started,
                                   tuple(footprint))
        except NivoError:
            raise  # refused or unreachable: not the revision's fault
        except Exception as exc:
            if _sqlstate(exc) == LOCK_NOT_AVAILABLE and attempt < tries:
                delay = min(MAX_RETRY_DELAY_S, retry_delay_s * 2 ** (attempt - 1))
                delay *= 1 + random.uniform(0, 0.2)
                say(f"{revision.id}: lock timeout (attempt {attempt}/{tries}, "
                    f"{_describe_blockers(watcher.blockers)}); retrying in {delay:.1f} s")
                time.sleep(delay)
                continue
            raise _migration_error(settings, revision, exc, attempt, watcher, applied) from exc
    raise AssertionError("unreachable")


def _apply_one(settings, engine, revision, watcher: _Watcher) -> list[StatementFootprint]:
    from sqlalchemy import event

    from nivomigrate import db, migrations

    with engine.connect() as conn:
        pid = conn.exec_driver_sql("select pg_backend_pid()").scalar()
        conn.commit()
        db.guard_backend(conn, pid)  # each transaction checks it runs where its settings are
        recorder = _Recorder(pid, watcher) if watcher.sample_locks else None
        if recorder is not None:
            event.listen(conn, "before_cursor_execute", recorder.before)
            event.listen(conn, "after_cursor_execute", recorder.after)
        with watcher.watching(pid):
            migrations.upgrade(settings.versions_dir, conn, revision.id)
        if conn.in_transaction():
            conn.commit()
        return recorder.statements if recorder is not None else []


def _sqlstate(exc: BaseException) -> str | None:
    while exc is not None:
        state = getattr(exc, "sqlstate", None) or getattr(getattr(exc, "orig", None),
                                                             "sqlstate", None)
        if state:
            return state
        exc = exc.__cause__ or exc.__context__
    return None


def _migration_error(settings, revision, exc, attempts, watcher, applied) -> MigrationError:
    from nivomigrate.redaction import redact

    at = applied[-1].revision.id if applied else "its starting revision"
    if _sqlstate(exc) == LOCK_NOT_AVAILABLE:
        message = (f"revision {revision.id} gave up after {attempts} lock timeouts "
                   f"({settings.timeouts.lock_timeout_ms} ms each): "
                   f"{_describe_blockers(watcher.blockers)}")
        hint = ("end or wait out the blocking session (pg_terminate_backend(pid) if it is "
                f"stuck), then re-run; the database stays at {at}")
    else:
        original = getattr(exc, "orig", None) or exc
        text = str(original).strip().splitlines()
        message = f"revision {revision.id} failed: {text[0] if text else type(exc).__name__}"
        hint = f"fix the revision and re-run; the database stays at {at}"
    return MigrationError(redact(message), hint=hint, result=list(applied))


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
        with self._lock:
            return {(r, m) for r, m in self.monitor.execute(_LOCKS_SQL, (self.pid,)).fetchall()}

    def start_sampling(self) -> None:
        with self._lock:
            self.sampled, self.sampling = set(), True

    def stop_sampling(self) -> set[tuple[int, str]]:
        with self._lock:
            self.sampling = False
            return self.sampled

    def _loop(self) -> None:
        interval = 0.002 if self.sample_locks else 0.05
        while not self._stop.wait(interval):
            with self._lock:
                rows = self.monitor.execute(_BLOCKERS_SQL, (self.pid,)).fetchall()
                if rows:
                    self.blockers = rows
                if self.sampling:
                    self.sampled |= set(self.monitor.execute(_LOCKS_SQL, (self.pid,)).fetchall())


class _Recorder:
    """SQLAlchemy cursor hooks that measure each statement of the migration connection."""

    def __init__(self, pid: int, watcher: _Watcher):
        self.pid = pid
        self.watcher = watcher
        self.statements: list[StatementFootprint] = []
        self._before: tuple | None = None

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if "alembic_version" in statement:
            self._before = None
            return
        tables = _tables(cursor.connection)
        locks = self.watcher.locks()
        self.watcher.start_sampling()
        self._before = (tables, locks, time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self._before is None:
            return
        duration = time.perf_counter() - self._before[2]
        sampled = self.watcher.stop_sampling()
        tables_before, locks_before, _ = self._before
        # Locks taken earlier in the transaction belong to the statement that took them.
        held = (sampled | self.watcher.locks()) - locks_before
        tables_after = _tables(cursor.connection)
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




