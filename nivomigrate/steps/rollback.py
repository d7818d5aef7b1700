"""Rollback: undo an environment's current revision with its proven downgrade, staging first
(docs/rollback.md); for a one-way revision, the recovery steps from the restore point."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import certificates, ledger, migrations
from nivomigrate.checks import one_way, verify
from nivomigrate.db import connection, target_for
from nivomigrate.engine.privileges import privileges_named, require_ledger_rights
from nivomigrate.engine.run import RunContext, finish, locked_run
from nivomigrate.engine.way_back import LOSSY, ONE_WAY, Certificate, one_way_reason
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Location, Report, Section, Severity
from nivomigrate.policies import validate_policies
from nivomigrate.progress import Progress

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.migrations import Revision


def rollback_environment(settings: Settings, name: str, *, allow_loss: bool = False,
                         dry_run: bool = False, progress: Progress | None = None) -> Report:
    """Roll `name` back by one revision, through the gate: the revision's way-back
    certificate from staging says proven (or lossy and `allow_loss`), and for a promoted
    environment (prod) staging's own rollback of it passed. A one-way revision gives the
    recovery steps with the recorded restore point instead (exit 1, nothing changed).

    Raises:
        ConfigError: the environment has no revision to roll back.
        MigrationError: the downgrade failed (recorded; the database keeps what committed).
    """
    environment = settings.environment(name)
    validate_policies(settings.policies_dir)

    def body(ctx: RunContext, conn, prog: Progress) -> Report:
        if not environment.promoted_from:
            return _rollback(ctx, conn, conn, prog, allow_loss=allow_loss, dry_run=dry_run)
        source = target_for(settings.environment(environment.promoted_from))
        with connection(source, writes=False) as staging_conn:
            return _rollback(ctx, conn, staging_conn, prog, allow_loss=allow_loss,
                             dry_run=dry_run)

    with privileges_named(environment.name):
        return locked_run(settings, name, body, progress, records=not dry_run)


def _rollback(ctx: RunContext, conn, staging_conn, prog: Progress, *, allow_loss: bool,
              dry_run: bool) -> Report:
    if ctx.current is None:
        raise ConfigError(f"{ctx.environment} has no revision to roll back",
                          hint="`nivomigrate status` shows each environment's revision")
    revision = next(r for r in ctx.chain if r.id == ctx.current)
    certificate = _certificate(ctx, staging_conn, revision)
    findings = _gate(ctx, conn, staging_conn, revision, certificate, allow_loss)
    if certificate is not None and certificate.verdict == ONE_WAY:
        return _recovery(ctx, conn, revision, certificate)
    if any(f.is_blocking for f in findings) or dry_run:
        verdict = "refused, nothing changed" if any(f.is_blocking for f in findings) \
            else "dry run: would run the downgrade"
        return _report(ctx, revision, certificate, findings, None, verdict)
    require_ledger_rights(conn, ctx.environment)
    with prog.step(f"rolling {ctx.environment} back from {revision.id} to "
                   f"{revision.down_revision or 'base'}"):
        run_id = _run_downgrade(ctx, conn, revision, _staging_rollback_id(ctx, staging_conn,
                                                                           revision))
    with prog.step(f"verifying {ctx.environment} against revision "
                   f"{revision.down_revision or 'base'}"):
        checks = _verification(ctx, conn, staging_conn, revision)
        finish(conn, run_id, checks)
    return _report(ctx, revision, certificate, findings + checks, run_id, f"run #{run_id}")


def _certificate(ctx: RunContext, staging_conn, revision: Revision) -> Certificate | None:
    """The revision's newest certificate in the ledger of staging (the environment itself
    when it is not promoted), or its declared one-way reason."""
    declared = one_way_reason(ctx.settings, revision)
    if declared:
        return Certificate(revision.id, revision.down_revision, ONE_WAY, "declared",
                           reason=declared, declared=True)
    found = certificates.newest(staging_conn, [revision.id]).get(revision.id)
    return Certificate.from_json(found) if found else None


def _gate(ctx: RunContext, conn, staging_conn, revision: Revision,
          certificate: Certificate | None, allow_loss: bool) -> list[Finding]:
    location = Location(file=str(revision.path), line=1, object=revision.id)
    staging = ctx.settings.environment(ctx.environment).promoted_from or ctx.environment
    if certificate is None:
        return [Finding(one_way.NAME, Severity.ERROR,
                        f"revision {revision.id} has no way-back certificate in {staging}'s "
                        "ledger", location, environment=ctx.environment,
                        help="run `nivomigrate apply staging` with this version of nivomigrate "
                        "(it proves each applied revision's downgrade)")]
    found = []
    if certificate.verdict == LOSSY and not allow_loss:
        found.append(Finding(one_way.NAME, Severity.ERROR,
                             f"rolling back {revision.id} loses data: "
                             + "; ".join(certificate.losses), location,
                             environment=ctx.environment,
                             help="keep the data first (pg_dump), then re-run with --allow-loss"))
    if staging_conn is not conn and _staging_rollback_id(ctx, staging_conn, revision) is None:
        found.append(Finding(one_way.NAME, Severity.ERROR,
                             f"{staging} has no passed rollback of {revision.id}", location,
                             environment=ctx.environment,
                             help=f"run `nivomigrate rollback {staging}` first"))
    return found


def _staging_rollback_id(ctx: RunContext, staging_conn, revision: Revision) -> int | None:
    """The passed rollback run of `revision` on staging, while staging is still at its
    parent; None otherwise (or when `ctx` is staging itself)."""
    if not ctx.settings.environment(ctx.environment).promoted_from:
        return None
    if migrations.current_revision(staging_conn) != revision.down_revision:
        return None
    run = ledger.last_passed_run(staging_conn, revision.down_revision, kinds=("rollback",))
    return run.id if run is not None and run.from_revision == revision.id else None


def _run_downgrade(ctx: RunContext, conn, revision: Revision, staging_run_id: int | None) -> int:
    """Record a rollback run and run the downgrade's steps (a transactional step commits
    as a whole), then move alembic_version to the parent."""
    from nivomigrate.engine.way_back import run_downgrade
    from nivomigrate.errors import MigrationError
    from nivomigrate.redaction import redact
    from nivomigrate.snapshot import take_snapshot

    ledger.ensure_ledger(conn)
    run_id = ledger.start_run(
        conn, kind="rollback", environment=ctx.environment, from_revision=revision.id,
        to_revision=revision.down_revision, revisions=ledger.revision_entries([revision]),
        fingerprint_before=take_snapshot(conn).fingerprint, git=ctx.git,
        actor=ctx.settings.actor, restore_point=ledger.restore_point(conn),
        staging_run_id=staging_run_id)
    try:
        run_downgrade(ctx.settings, conn, revision)
    except Exception as exc:
        reason = redact((str(exc).strip().splitlines() or [type(exc).__name__])[0])
        ledger.finish_run(conn, run_id, status="failed", reason=f"downgrade failed: {reason}")
        raise MigrationError(f"the downgrade of {revision.id} failed on {ctx.environment}: "
                             f"{reason}", hint="fix the downgrade in a new revision, or "
                             "restore from the restore point (docs/rollback.md)") from exc
    return run_id


def _verification(ctx: RunContext, conn, staging_conn, revision: Revision) -> list[Finding]:
    from nivomigrate.engine.build import snapshot_at
    from nivomigrate.snapshot import take_snapshot

    actual = take_snapshot(conn)
    name = f"the schema of revision {revision.down_revision or 'base'}"
    checks = verify.findings(actual, snapshot_at(ctx.settings, revision.down_revision),
                             ctx.environment, name)
    if staging_conn is not conn:
        checks += verify.findings(actual, take_snapshot(staging_conn), ctx.environment,
                                  "staging")
    return checks


def _recovery(ctx: RunContext, conn, revision: Revision, certificate: Certificate) -> Report:
    """The recovery steps of a one-way revision, from the restore point its promotion
    recorded (exit 1, nothing changed)."""
    from nivomigrate.engine.restore import recovery_steps

    promotion = ledger.last_passed_run(conn, revision.id, kinds=("promote", "apply"))
    point = promotion.restore_point if promotion is not None else None
    finding = Finding(one_way.NAME, Severity.ERROR,
                      f"revision {revision.id} is one-way ({certificate.reason}): its downgrade "
                      "is not run; recover from the restore point with the steps below",
                      Location(file=str(revision.path), line=1, object=revision.id),
                      environment=ctx.environment, help="follow the recovery steps "
                      "(docs/rollback.md)")
    report = _report(ctx, revision, certificate, [finding], None, "one-way: recovery steps")
    report.data["restore_point"] = point
    text = recovery_steps(ctx.environment, revision.id, revision.down_revision, point)
    from dataclasses import replace

    return replace(report, sections=report.sections + (Section("Recovery steps", text=text),))


def _report(ctx: RunContext, revision: Revision, certificate: Certificate | None,
            findings: list[Finding], run_id: int | None, status: str) -> Report:
    from nivomigrate.engine.way_back import with_certificates

    target = revision.down_revision or "base"
    report = Report(
        command="rollback",
        title=f"rollback {ctx.environment}: {revision.id} → {target} ({status})",
        findings=tuple(findings),
        data={"environment": ctx.environment, "run_id": run_id, "from_revision": revision.id,
              "to_revision": revision.down_revision},
    )
    return with_certificates(report, [certificate.to_json()] if certificate else [])
