"""The writing run that apply, promote and repair share: context, lock, execute, verify,
finish, report. It returns data and never prints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import ledger, migrations
from nivomigrate.checks import staging_check, verify
from nivomigrate.db import SessionSettings, Target, connection, target_for
from nivomigrate.engine.identity import require_distinct
from nivomigrate.errors import DatabaseConnectionError, Interrupted
from nivomigrate.findings import Finding, Report, Section
from nivomigrate.progress import Progress

if TYPE_CHECKING:

    from nivomigrate.config import Settings


@dataclass(frozen=True)
class RunContext:
    """What every writing run knows before it starts."""

    settings: Settings
    environment: str
    target: Target
    chain: list[migrations.Revision]
    current: str | None
    head: str | None
    pending: list[migrations.Revision]
    git: ledger.GitState


def locked_run(settings: Settings, name: str, body, progress: Progress | None = None,
               *, records: bool = True) -> Report:
    """Open the environment's connection, take its lock, and call body(context, conn).

    With `records`, runs a killed process left "running" are marked failed first; without
    it (a dry run) nothing is written.

    Raises:
        DatabaseConnectionError: the connection was lost during the run (the server stopped,
            or ended the session); the next run marks this one failed in the ledger.
    """
    import psycopg

    environment = settings.environment(name)
    target = target_for(environment)
    session = SessionSettings.from_timeouts(settings.timeouts)
    with _signals_interrupt(), connection(target, writes=True, session=session) as conn:
        require_distinct(settings, environment.name, conn)
        ledger.take_lock(conn, environment.name)
        try:
            if records and ledger.has_ledger(conn):
                ledger.fail_abandoned_runs(conn)
            context = _context(settings, environment.name, target, conn)
            return body(context, conn, progress or Progress())
        except psycopg.OperationalError as exc:
            if conn.broken or conn.closed:
                raise _lost_connection(f"the connection to {environment.name}", exc) from exc
            if not _is_connection_loss(exc):
                raise
            raise _lost_connection("another connection of the run (staging's lock session)",
                                   exc) from exc
        finally:
            try:
                ledger.release_lock(conn)
            except psycopg.Error:
                pass  # a cancelled or lost session: closing it releases the lock


def _lost_connection(what: str, exc: Exception) -> DatabaseConnectionError:
    from nivomigrate.redaction import redact

    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return DatabaseConnectionError(
        f"lost {what} during the run: {redact(reason)}",
        hint="check that the server is up, then re-run: the steps that committed are in the "
        "ledger and are not run again, the step that did not was rolled back, and the next run "
        "marks this one failed and resumes at its first unrecorded step",
    )


def _is_connection_loss(exc: Exception) -> bool:
    """Tell whether `exc` says a session ended (terminated, server shut down, socket closed)."""
    state = getattr(exc, "sqlstate", None)
    return state is None or state.startswith("08") or state in ("57P01", "57P02", "57P03")


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """Turn SIGTERM (and SIGINT) into `Interrupted` for the run: psycopg cancels the statement
    in progress, the run is recorded failed, and the exit code is 143 (130): the ledger then
    holds what a SIGKILL would have left, and a plain re-run resumes."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum, frame):
        raise Interrupted(signal.Signals(signum).name, 128 + signum)

    previous = {number: signal.signal(number, interrupt)
                for number in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _context(settings: Settings, name: str, target: Target, conn) -> RunContext:
    chain = migrations.with_sql_checksums(settings.versions_dir,
                                          migrations.revisions(settings.versions_dir))
    current = migrations.current_revision(conn)
    head = migrations.head_of(chain)
    pending = migrations.pending_after(chain, current)
    git = ledger.git_state(settings.root, settings.versions_dir)
    return RunContext(settings, name, target, chain, current, head, pending, git)




@dataclass(frozen=True)
class Executed:
    """What a run did: its ledger id, the revisions it applied, and those it finished for a run
    that ended after their last commit (each with that run's id)."""

    run_id: int
    applied: list
    finished: list[tuple[migrations.Revision, int]]


def execute_revisions(ctx: RunContext, conn, progress: Progress, *, kind: str,
                      allow_drift: bool, measure_footprint: bool,
                      restore_point: dict | None = None,
                      staging_run_id: int | None = None) -> Executed:
    """Record a run, apply the pending revisions step by step on `conn` (the session holding
    the run lock), and return what it did.

    The revisions an earlier run of `kind` applied but did not record as passed (it was killed
    or failed after their last commit: `resume.unfinished_revisions`) are recorded by this run
    as its own, so that its verification finishes that run.

    Raises:
        MigrationError: a step failed; the run is recorded as failed with the reason.
        DriftError: a recorded step of a partly applied revision was edited.
    """
    from nivomigrate.engine.resume import unfinished_revisions
    from nivomigrate.engine.runner import StepRun, run_steps
    from nivomigrate.errors import NivoError
    from nivomigrate.snapshot import take_snapshot

    ledger.ensure_ledger(conn)
    finished = unfinished_revisions(conn, ctx.chain, ctx.current, kind)
    for revision, earlier in finished:
        progress.say(f"{revision.id} was applied by run #{earlier}, which ended before it "
                     "passed: this run verifies and records it")
    run_id = ledger.start_run(
        conn, kind=kind, environment=ctx.environment, from_revision=ctx.current,
        to_revision=ctx.head,
        revisions=ledger.revision_entries([r for r, _ in finished] + ctx.pending),
        fingerprint_before=take_snapshot(conn).fingerprint, git=ctx.git,
        actor=ctx.settings.actor, restore_point=restore_point, staging_run_id=staging_run_id,
        allow_drift=allow_drift,
    )
    ledger.name_session(conn, run_id)
    run = StepRun(ctx.settings, conn, run_id, ctx.environment, is_promotion=kind == "promote",
                  measure_footprint=measure_footprint, say=progress.say)
    try:
        applied = run_steps(run, ctx.target, ctx.pending,
                            production=_promoted_target(ctx) if measure_footprint else None)
    except NivoError as exc:
        reached = migrations.current_revision(conn) if not (conn.broken or conn.closed) else None
        _record_failure(conn, run_id, f"{exc.message} (the database stays at revision "
                        f"{reached or ctx.current or 'base'})")
        raise
    except BaseException as exc:
        what = exc.signal if isinstance(exc, Interrupted) else type(exc).__name__
        _record_failure(conn, run_id, f"interrupted: {what}")
        raise
    return Executed(run_id, applied, finished)


def _promoted_target(ctx: RunContext) -> Target | None:
    """Return the environment promoted from this one (prod), when its URL is set."""
    for environment in ctx.settings.environments.values():
        if environment.promoted_from == ctx.environment and environment.url:
            return target_for(environment)
    return None


def verification_findings(ctx: RunContext, conn, applied: list | None = None, *,
                          allowed_drift=None) -> list[Finding]:
    """The schema equals head's (less the drift --allow-drift let through, `allowed_drift`),
    the staging checks pass, the hot queries are covered."""
    from nivomigrate.engine.build import snapshot_at
    from nivomigrate.engine.coverage import coverage_findings
    from nivomigrate.policies.promotion import load_promotion_policy
    from nivomigrate.snapshot import take_snapshot

    expected = snapshot_at(ctx.settings, ctx.head)
    findings = verify.findings(take_snapshot(conn), expected, ctx.environment,
                               f"the schema of revision {ctx.head}", allowed=allowed_drift)
    policy = load_promotion_policy(ctx.settings.policies_dir)
    findings += staging_check.findings(conn, ctx.target, policy.staging_checks,
                                       ctx.settings.root, ctx.settings.command_environ,
                                       read_only=_read_only_target(ctx))
    findings += [_in(f, ctx.environment)
                 for f in coverage_findings(ctx.settings, conn, with_usage=False)]
    if applied:
        from nivomigrate.checks.lock_footprint import footprint_findings

        findings += [_in(f, ctx.environment) for f in footprint_findings(applied, policy)]
    return findings


def _read_only_target(ctx: RunContext) -> Target | None:
    """The read-only role's URL of the environment (`read_only_url_env`), when one is set."""
    environment = ctx.settings.environment(ctx.environment)
    if not environment.read_only_url:
        return None
    return Target(name=environment.name, url=environment.read_only_url,
                  source=f"{environment.read_only_url_variable} (read-only role)")


def _in(finding: Finding, environment: str) -> Finding:
    from dataclasses import replace

    return replace(finding, environment=finding.environment or environment)


def verify_and_finish(conn, run_id: int, applied: list, verify,
                      key: str | None = None) -> list[Finding]:
    """Run `verify()` and the integrity sweep, and record the run passed or failed by their
    findings (signed with `key`, the ledger key, when one is set).

    A verification that does not finish (a lost connection, the shadow server gone) is
    recorded as a failed run before the error goes on.
    """
    from nivomigrate.catalog import read_once
    from nivomigrate.checks.integrity import integrity_findings
    from nivomigrate.engine.runner import boundary

    with read_once(conn):  # the schema verified is the one recorded
        try:
            boundary("before-verify", run_id)
            checks = verify()
            checks += integrity_findings(conn)
            boundary("after-verify", run_id)
        except BaseException as exc:
            _record_failure(conn, run_id, f"verification did not finish: {type(exc).__name__}")
            raise
        finish(conn, run_id, checks, applied, key=key)
    boundary("after-finish", run_id)
    return checks


def _record_failure(conn, run_id: int, reason: str) -> None:
    import psycopg

    if conn.broken or conn.closed:
        return  # the connection is gone: the next run marks this one failed
    try:
        ledger.finish_run(conn, run_id, status="failed", reason=reason)
    except psycopg.Error:
        pass


def finish(conn, run_id: int, checks: list[Finding], applied: list | None = None,
           key: str | None = None) -> None:
    """Record the run passed or failed by `checks`, signed with `key` when one is set."""
    from nivomigrate.snapshot import take_snapshot

    status = "failed" if any(f.is_blocking for f in checks) else "passed"
    fingerprint_after = take_snapshot(conn).fingerprint
    to_revision = migrations.current_revision(conn)
    ledger.finish_run(
        conn, run_id, status=status, fingerprint_after=fingerprint_after,
        to_revision=to_revision,
        checks=[{"check": f.check, "severity": f.severity.value, "message": f.message}
                for f in checks] + [{"footprint": footprint_json(a)} for a in applied or []],
        reason="; ".join(f.message for f in checks if f.is_blocking)[:2000] or None,
        signature=_signature(conn, run_id, key, status=status,
                             fingerprint_after=fingerprint_after, to_revision=to_revision),
    )


def _signature(conn, run_id: int, key: str | None, **finished) -> str | None:
    """Sign the run as `finish_run` is about to record it (None without a key)."""
    from dataclasses import replace

    from nivomigrate.engine.identity import read_identity
    from nivomigrate.signing import sign

    if key is None:
        return None
    run = ledger.run_by_id(conn, run_id)
    ended = replace(run, **{name: value if value is not None else getattr(run, name)
                            for name, value in finished.items()})
    return sign(key, ended, read_identity(conn).signed_fields)


def run_report(ctx: RunContext, findings: list[Finding], applied: list, run_id: int | None,
               command: str = "apply", finished: list | None = None) -> Report:
    """The report of a run: what it applied, what it finished of an earlier run (`finished`:
    (revision, run id) pairs), its findings."""
    finished = finished or []
    rows = tuple((a.revision.id, a.revision.message, str(a.attempts), f"{a.duration_s:.2f}s")
                 for a in applied)
    sections = (Section("Applied revisions", ("revision", "message", "attempts", "time"), rows),)
    if not applied and run_id is not None:
        sections = (Section("Applied revisions", text="nothing pending; verified only"
                            if not finished else "nothing pending"),)
    if finished:
        sections += (Section("Finished revisions (applied by a run that ended before it passed;"
                             " verified and recorded by this run)", ("revision", "message", "run"),
                             tuple((r.id, r.message, f"#{run}") for r, run in finished)),)
    status = "blocked before any change" if run_id is None else f"run #{run_id}"
    return Report(
        command=command,
        title=f"{command} {ctx.environment}: {ctx.current or 'base'} → {ctx.head} ({status})",
        findings=tuple(findings),
        sections=sections,
        data={"environment": ctx.environment, "run_id": run_id, "from_revision": ctx.current,
              "to_revision": ctx.head, "applied": [a.revision.id for a in applied],
              "finished": [r.id for r, _ in finished],
              "footprint": [footprint_json(a) for a in applied],
              "lock_limits": _lock_limits(ctx.settings)},
    )


def _lock_limits(settings: Settings) -> dict:
    from nivomigrate.policies.promotion import load_promotion_policy

    return load_promotion_policy(settings.policies_dir).lock_limits_json()


def footprint_json(applied) -> dict:
    """Return what the ledger and JSON reports keep of a revision's measured footprint
    (a shape written out on purpose: docs/json-report.md)."""
    return {
        "revision": applied.revision.id,
        "attempts": applied.attempts,
        "duration_s": round(applied.duration_s, 3),
        "statements": [{
            "sql": statement.sql,
            "duration_s": round(statement.duration_s, 4),
            "locks": [{"relation": lock.relation, "mode": lock.mode} for lock in statement.locks],
            "tables": [{
                "table": table.table, "rows": table.rows, "bytes": table.bytes,
                "rewritten": table.rewritten, "scanned": table.scanned,
                "production_rows": table.production_rows,
                "production_bytes": table.production_bytes,
                "projected_s": round(statement.projected_s(table), 4),
            } for table in statement.tables],
        } for statement in applied.footprint],
    }
