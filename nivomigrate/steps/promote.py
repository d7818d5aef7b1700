"""Promote to prod the very revisions that passed on staging, then verify prod equals staging."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import ledger
from nivomigrate.checks import staging_changed, staging_run, verify
from nivomigrate.db import connection, target_for
from nivomigrate.engine.run import (
    RunContext,
    execute_revisions,
    locked_run,
    preflight_findings,
    run_report,
    verify_and_finish,
)
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Report, Section
from nivomigrate.progress import Progress

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def promote_environment(settings: Settings, name: str, *, dry_run: bool = False,
                        allow_drift: bool = False, allow_dirty: bool = False,
                        progress: Progress | None = None) -> Report:
    """Promote `name` (prod) from the environment it is promoted from (staging).

    Refuses (a report with its exit code, nothing written) unless staging's ledger holds a
    passed run at the target revision that executed the same SQL, staging is unchanged since,
    prod has no drift, and the revision files are committed.

    Raises:
        ConfigError: `name` is not promoted from anything, or staging is not configured.
        MigrationError: a revision failed; prod stays at its last good revision.
    """
    environment = settings.environment(name)
    if not environment.promoted_from:
        raise ConfigError(f"{environment.name} is not promoted from another environment",
                          hint=f"use: nivomigrate apply {environment.name}")
    staging = target_for(settings.environment(environment.promoted_from))

    def body(ctx: RunContext, conn, prog: Progress) -> Report:
        with connection(staging, writes=False) as staging_conn:
            # Staging may not change under the promotion: hold its run lock too.
            ledger.take_lock(staging_conn, environment.promoted_from)
            passed_run = ledger.last_passed_run(staging_conn, ctx.head)
            with prog.step("checking staging's run, prod's drift and the checksums"):
                findings = preflight_findings(ctx, conn, allow_drift,
                                              dirty_blocks=not allow_dirty)
                findings += staging_run.findings(staging_conn, ctx.head, ctx.pending,
                                                 passed_run)
                if passed_run is not None:
                    findings += staging_changed.findings(staging_conn, ctx.head, passed_run)
                projections = _projections(ctx, conn, passed_run)
                findings += _budget_findings(ctx, projections)
            if any(f.is_blocking for f in findings) or dry_run:
                return _dry_or_blocked(ctx, findings, dry_run)
            run_id, applied = execute_revisions(
                ctx, conn, prog, kind="promote", allow_drift=allow_drift,
                measure_footprint=False, restore_point=ledger.restore_point(conn),
                staging_run_id=passed_run.id,
            )
            with prog.step("verifying prod equals staging"):
                checks = verify_and_finish(conn, run_id, applied,
                                           lambda: _equals_staging(ctx, conn, staging_conn))
            _record_projection(conn, run_id, projections, applied)
        report = run_report(ctx, findings + checks, applied, run_id,
                         command="promote")
        report.data["staging_run_id"] = passed_run.id
        return report

    return locked_run(settings, name, body, progress, records=not dry_run)


def _projections(ctx: RunContext, conn, passed_run) -> list:
    """Staging's measured statements of the pending revisions, projected onto prod's sizes."""
    from nivomigrate.checks import duration_budget

    if passed_run is None:
        return []
    return duration_budget.project(passed_run, {r.id for r in ctx.pending}, conn)


def _budget_findings(ctx: RunContext, projections: list) -> list[Finding]:
    from nivomigrate.checks import duration_budget
    from nivomigrate.policies.promotion import load_promotion_policy

    policy = load_promotion_policy(ctx.settings.policies_dir)
    files = {r.id: str(r.path) for r in ctx.pending}
    return duration_budget.findings(projections, policy, ctx.environment, files)


def _record_projection(conn, run_id: int, projections: list, applied: list) -> None:
    """Keep projected against actual seconds per revision in the promotion's ledger row."""
    from nivomigrate.checks import duration_budget

    if applied:
        ledger.append_checks(conn, run_id, [duration_budget.ledger_entry(projections, applied)])


def _equals_staging(ctx: RunContext, conn, staging_conn) -> list[Finding]:
    from nivomigrate.snapshot import take_snapshot

    return verify.findings(take_snapshot(conn), take_snapshot(staging_conn), ctx.environment,
                           "staging")


def _dry_or_blocked(ctx: RunContext, findings: list[Finding], dry_run: bool) -> Report:
    rows = tuple((r.id, r.message, r.file_name) for r in ctx.pending)
    blocked = any(f.is_blocking for f in findings)
    verdict = "refused, nothing changed" if blocked else "dry run: would apply"
    return Report(
        command="promote",
        title=f"promote {ctx.environment}: {ctx.current or 'base'} → {ctx.head} ({verdict})",
        findings=tuple(findings),
        sections=(Section("Pending revisions", ("revision", "message", "file"), rows),),
        data={"environment": ctx.environment, "from_revision": ctx.current,
              "to_revision": ctx.head, "pending": [r.id for r in ctx.pending],
              "dry_run": dry_run},
    )
