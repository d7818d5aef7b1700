"""Apply pending revisions to an environment that is not promoted (staging), and verify it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.privileges import privileges_named, require_ledger_rights
from nivomigrate.engine.run import (
    RunContext,
    execute_revisions,
    locked_run,
    run_report,
    verification_findings,
    verify_and_finish,
)
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Report
from nivomigrate.policies import validate_policies
from nivomigrate.progress import Progress

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings


def apply_environment(settings: Settings, name: str, *, allow_drift: bool = False,
                      allow_dirty: bool = False, progress: Progress | None = None) -> Report:
    """Apply pending revisions to `name` (staging), verify it, and record the run.

    Before anything changes, the gate (engine/decision.apply_decision) runs: a blocking
    finding (an edited revision, drift, or a static check of a pending revision that the
    revision does not acknowledge) returns a refusal report and changes nothing.

    Raises:
        ConfigError: `name` is promoted from another environment (use promote).
        MigrationError: a revision failed; the database stays at its last good revision.
    """
    environment = settings.environment(name)
    if environment.promoted_from:
        raise ConfigError(f"{environment.name} is promoted from {environment.promoted_from}",
                          hint=f"use: nivomigrate promote {environment.name}")
    validate_policies(settings.policies_dir)
    with privileges_named(environment.name):
        return locked_run(settings, name,
                          lambda ctx, conn, prog: _apply(ctx, conn, prog, allow_drift), progress)


def _apply(ctx: RunContext, conn: psycopg.Connection, progress: Progress,
           allow_drift: bool) -> Report:
    from nivomigrate.engine.decision import apply_decision

    require_ledger_rights(conn, ctx.environment)
    with progress.step(f"checking {ctx.environment}: drift, edited revisions, the revisions' "
                       "static checks"):
        decision = apply_decision(ctx, conn, allow_drift=allow_drift)
    findings = list(decision.findings)
    if decision.is_blocked:
        return run_report(ctx, findings, [], None)
    executed = execute_revisions(ctx, conn, progress, kind="apply",
                                 allow_drift=allow_drift, measure_footprint=True)
    applied = executed.applied
    with progress.step(f"verifying {ctx.environment} against the head schema"):
        checks = verify_and_finish(conn, executed.run_id, applied, lambda: verification_findings(
            ctx, conn, applied, allowed_drift=decision.allowed_drift),
            key=ctx.settings.ledger_key)
    from nivomigrate.engine.way_back import certify_run

    return certify_run(ctx, conn, executed.run_id, applied,
                       run_report(ctx, findings + checks, applied, executed.run_id,
                                  finished=executed.finished), progress)
