"""The writing run that apply, promote and repair share: context, lock, execute, verify,
finish, report. It returns data and never prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import ledger, migrations
from nivomigrate.checks import checksum, dirty_tree, staging_check, verify
from nivomigrate.db import SessionSettings, Target, connection, target_for
from nivomigrate.engine import gate
from nivomigrate.errors import DatabaseConnectionError, MigrationError
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
    with connection(target, writes=True, session=session) as conn:
        ledger.take_lock(conn, environment.name)
        try:
            if records and ledger.has_ledger(conn):
                ledger.fail_abandoned_runs(conn)
            context = _context(settings, environment.name, target, conn)
            return body(context, conn, progress or Progress(quiet=False))
        except psycopg.OperationalError as exc:
            if not (conn.broken or conn.closed):
                raise
            raise _lost_connection(environment.name, exc) from exc
        finally:
            ledger.release_lock(conn)


def _lost_connection(name: str, exc: Exception) -> DatabaseConnectionError:
    from nivomigrate.db import redact

    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return DatabaseConnectionError(
        f"lost the connection to {name} during the run: {redact(reason)}",
        hint="check that the server is up, then re-run: a revision that did not commit was "
        "rolled back, and the next run marks this one failed in the ledger",
    )


def _context(settings: Settings, name: str, target: Target, conn) -> RunContext:
    chain = migrations.with_sql_checksums(settings.versions_dir,
                                          migrations.revisions(settings.versions_dir))
    current = migrations.current_revision(conn)
    head = migrations.head_of(chain)
    pending = migrations.pending_after(chain, current)
    git = ledger.git_state(settings.root, settings.versions_dir)
    return RunContext(settings, name, target, chain, current, head, pending, git)


def preflight_findings(ctx: RunContext, conn, allow_drift: bool,
                       dirty_blocks: bool = False) -> list[Finding]:
    """Checksums of applied revisions, uncommitted files, then drift against the revision."""
    findings = checksum.findings(ctx.chain, ledger.accepted_checksums(conn), ctx.current,
                                 ctx.environment)
    findings += dirty_tree.findings(ctx.git, blocking=dirty_blocks)
    if not any(f.is_blocking for f in findings):
        findings += gate.drift_findings(ctx.settings, conn, ctx.current, ctx.environment,
                                        allowed=allow_drift)
    return findings


def execute_revisions(ctx: RunContext, conn, progress: Progress, *, kind: str,
                      allow_drift: bool, measure_footprint: bool,
                      restore_point: dict | None = None,
                      staging_run_id: int | None = None) -> tuple[int, list]:
    """Record a run, apply the pending revisions, and return (run id, applied revisions).

    Raises:
        MigrationError: a revision failed; the run is recorded as failed with the reason.
    """
    from nivomigrate.engine.runner import apply_revisions
    from nivomigrate.snapshot import take_snapshot

    ledger.ensure_ledger(conn)
    run_id = ledger.start_run(
        conn, kind=kind, environment=ctx.environment, from_revision=ctx.current,
        to_revision=ctx.head, revisions=ledger.revision_entries(ctx.pending),
        fingerprint_before=take_snapshot(conn).fingerprint, git=ctx.git,
        actor=ctx.settings.actor, restore_point=restore_point, staging_run_id=staging_run_id,
        allow_drift=allow_drift,
    )
    try:
        applied = apply_revisions(ctx.settings, ctx.target, ctx.pending,
                                  measure_footprint=measure_footprint, progress=progress.say,
                                  production=_promoted_target(ctx) if measure_footprint else None)
    except MigrationError as exc:
        reached = migrations.current_revision(conn) or "base"
        ledger.finish_run(conn, run_id, status="failed",
                          fingerprint_after=take_snapshot(conn).fingerprint,
                          reason=f"{exc.message} (the database stays at revision {reached})")
        raise
    except BaseException as exc:
        ledger.finish_run(conn, run_id, status="failed",
                          reason=f"interrupted: {type(exc).__name__}")
        raise
    return run_id, applied


def _promoted_target(ctx: RunContext) -> Target | None:
    """Return the environment promoted from this one (prod), when its URL is set."""
    for environment in ctx.settings.environments.values():
        if environment.promoted_from == ctx.environment and environment.url:
            return target_for(environment)
    return None


def verification_findings(ctx: RunContext, conn, applied: list | None = None) -> list[Finding]:
    """The schema equals head's, the staging checks pass, the hot queries are covered."""
    from nivomigrate.engine.build import snapshot_at
    from nivomigrate.engine.coverage import coverage_findings
    from nivomigrate.policies.promotion import load_promotion_policy
    from nivomigrate.snapshot import take_snapshot

    expected = snapshot_at(ctx.settings, ctx.head)
    findings = verify.findings(take_snapshot(conn), expected, ctx.environment,
                               f"the schema of revision {ctx.head}")
    policy = load_promotion_policy(ctx.settings.policies_dir)
    findings += staging_check.findings(conn, ctx.target, policy.staging_checks,
                                       ctx.settings.root, ctx.settings.command_environ)
    findings += [_in(f, ctx.environment)
                 for f in coverage_findings(ctx.settings, conn, with_usage=False)]
    if applied:
        from nivomigrate.checks.lock_footprint import footprint_findings

        findings += [_in(f, ctx.environment) for f in footprint_findings(applied, policy)]
    return findings


def _in(finding: Finding, environment: str) -> Finding:
    from dataclasses import replace

    return replace(finding, environment=finding.environment or environment)


def verify_and_finish(conn, run_id: int, applied: list, verify) -> list[Finding]:
    """Run `verify()` and record the run passed or failed by its findings.

    A verification that does not finish (a lost connection, the shadow server gone) is
    recorded as a failed run before the error goes on.
    """
    try:
        checks = verify()
    except BaseException as exc:
        _record_failure(conn, run_id, f"verification did not finish: {type(exc).__name__}")
        raise
    finish(conn, run_id, checks, applied)
    return checks


def _record_failure(conn, run_id: int, reason: str) -> None:
    import psycopg

    try:
        ledger.finish_run(conn, run_id, status="failed", reason=reason)
    except psycopg.Error:
        pass  # the connection is gone: the next run marks this one failed


def finish(conn, run_id: int, checks: list[Finding], applied: list | None = None) -> None:
    from nivomigrate.snapshot import take_snapshot

    blocked = any(f.is_blocking for f in checks)
    ledger.finish_run(
        conn, run_id, status="failed" if blocked else "passed",
        fingerprint_after=take_snapshot(conn).fingerprint,
        to_revision=migrations.current_revision(conn),
        checks=[{"check": f.check, "severity": f.severity.value, "message": f.message}
                for f in checks] + [{"footprint": footprint_json(a)} for a in applied or []],
        reason="; ".join(f.message for f in checks if f.is_blocking)[:2000] or None,
    )


def run_report(ctx: RunContext, findings: list[Finding], applied: list, run_id: int | None,
               command: str = "apply") -> Report:
    rows = tuple((a.revision.id, a.revision.message, str(a.attempts), f"{a.duration_s:.2f}s")
                 for a in applied)
    sections = (Section("Applied revisions", ("revision", "message", "attempts", "time"), rows),)
    if not applied and run_id is not None:
        sections = (Section("Applied revisions", text="nothing pending; verified only"),)
    status = "blocked before any change" if run_id is None else f"run #{run_id}"
    return Report(
        command=command,
        title=f"{command} {ctx.environment}: {ctx.current or 'base'} → {ctx.head} ({status})",
        findings=tuple(findings),
        sections=sections,
        data={"environment": ctx.environment, "run_id": run_id, "from_revision": ctx.current,
              "to_revision": ctx.head, "applied": [a.revision.id for a in applied],
              "footprint": [footprint_json(a) for a in applied]},
    )


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
