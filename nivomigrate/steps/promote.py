"""Promote to prod the very revisions that passed on staging, then verify prod equals staging."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import ledger
from nivomigrate.checks import verify
from nivomigrate.db import connection, target_for
from nivomigrate.engine.decision import promote_decision
from nivomigrate.engine.privileges import privileges_named, require_ledger_rights
from nivomigrate.engine.run import (
    RunContext,
    execute_revisions,
    locked_run,
    run_report,
    verify_and_finish,
)
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Report, Section, Severity
from nivomigrate.policies import validate_policies
from nivomigrate.progress import Progress

if TYPE_CHECKING:
    from nivomigrate.config import Settings


@dataclass(frozen=True)
class ContractOptions:
    """How promote treats a contract revision's live readers: `until_clear` waits up to
    `timeout_s` for the evidence to clear; `waiver` is the reason given with
    `--waive live-readers` (None: no waiver)."""

    until_clear: bool = False
    timeout_s: float = 1800.0
    waiver: str | None = None


def contract_options(until_clear: bool, timeout: str | None, waive: str | None,
                     reason: str | None) -> ContractOptions:
    """Check promote's `--until-clear --timeout --waive --reason` and return them.

    Raises:
        ConfigError: a waiver of another check, one without a reason (or a reason without
            one), or a timeout that is not a duration (`90s`, `30m`, `2h`).
    """
    from nivomigrate.checks import live_readers

    if waive is not None and waive != live_readers.NAME:
        raise ConfigError(f"--waive {waive}: only {live_readers.NAME} can be waived at promote",
                          hint=f'--waive {live_readers.NAME} --reason "why it is safe"')
    if (waive is None) != (not (reason or "").strip()):
        raise ConfigError("--waive and --reason go together: a waiver says why",
                          hint=f'--waive {live_readers.NAME} --reason "why it is safe"')
    if timeout is not None and not until_clear:
        raise ConfigError("--timeout is for --until-clear", hint="add --until-clear")
    return ContractOptions(until_clear, parse_duration(timeout or "30m"),
                           reason.strip() if waive else None)


def parse_duration(text: str) -> float:
    """Return the seconds of `90s`, `30m`, `2h` or a plain number of seconds (three units,
    parsed here: not worth a dependency).

    Raises:
        ConfigError: anything else, or a duration that is not positive.
    """
    units = {"s": 1, "m": 60, "h": 3600}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    try:
        seconds = float(number) * units[unit]
    except ValueError:
        seconds = -1
    if not seconds > 0:
        raise ConfigError(f"--timeout {text!r} is not a duration",
                          hint="e.g. --timeout 30m (s, m or h)")
    return seconds


def promote_environment(settings: Settings, name: str, *, dry_run: bool = False,
                        allow_drift: bool = False, allow_dirty: bool = False,
                        progress: Progress | None = None,
                        contract: ContractOptions | None = None) -> Report:
    """Promote `name` (prod) from the environment it is promoted from (staging).

    Refuses (a report with its exit code, nothing written) unless the gate passes: the same
    decision `plan --gate promote` and `promote --dry-run` show (engine/decision.py): staging's
    ledger holds a passed run at the target revision that executed the same SQL, staging is
    unchanged since, prod has no drift (unless allowed), the revision files are committed, and
    the static checks pass with prod's own facts (sizes, data a drop would lose), and no live
    build reads what a contract revision removes (`contract`: wait for it, or a waiver).

    Raises:
        ConfigError: `name` is not promoted from anything, staging is not configured, or a
            policy file is invalid.
        MigrationError: a revision failed; prod stays at its last good revision.
        DatabaseConnectionError: prod or staging could not be reached, or was lost.
    """
    environment = settings.environment(name)
    if not environment.promoted_from:
        raise ConfigError(f"{environment.name} is not promoted from another environment",
                          hint=f"use: nivomigrate apply {environment.name}")
    staging = target_for(settings.environment(environment.promoted_from))
    validate_policies(settings.policies_dir)

    def body(ctx: RunContext, conn, prog: Progress) -> Report:
        with connection(staging, writes=False) as staging_conn:
            with _staging_loss_named(staging_conn, environment.promoted_from):
                return _promote(ctx, conn, staging_conn, prog, dry_run=dry_run,
                                allow_drift=allow_drift, allow_dirty=allow_dirty,
                                contract=contract or ContractOptions())

    with privileges_named(environment.name):
        return locked_run(settings, name, body, progress, records=not dry_run)


def _promote(ctx: RunContext, conn, staging_conn, prog: Progress, *, dry_run: bool,
             allow_drift: bool, allow_dirty: bool, contract: ContractOptions) -> Report:
    from nivomigrate.engine.live_readers import Watch

    require_ledger_rights(conn, ctx.environment)
    # Staging may not change under the promotion: hold its run lock too, shared, so that the
    # targets of a fleet's wave promote from it at once (docs/fleet.md).
    ledger.take_lock(staging_conn, ctx.settings.environment(ctx.environment).promoted_from,
                     shared=True)
    watch = Watch()
    with prog.step("checking staging's run, prod's drift, the checksums and the revisions' "
                   "static checks on prod"):
        decision = promote_decision(ctx, conn, staging_conn, allow_drift=allow_drift,
                                    allow_dirty=allow_dirty, watch=watch,
                                    waiver=contract.waiver)
    if contract.until_clear and not dry_run:
        decision = _until_clear(ctx, conn, staging_conn, prog, decision, watch, contract)
    findings = list(decision.findings)
    from nivomigrate.engine import way_back
    from nivomigrate.engine.restore import restore_point

    back = decision.way_back
    if decision.is_blocked or dry_run:
        report = way_back.with_certificates(_dry_or_blocked(ctx, findings, dry_run),
                                            back.items if back else [])
        return _with_evidence(report, ctx, decision)
    staging_run_id = decision.staging_run.id if decision.staging_run else None
    executed = execute_revisions(
        ctx, conn, prog, kind="promote", allow_drift=allow_drift, measure_footprint=False,
        restore_point=restore_point(ctx, conn, back), staging_run_id=staging_run_id,
    )
    run_id, applied = executed.run_id, executed.applied
    with prog.step("verifying prod equals staging"):
        checks = verify_and_finish(conn, run_id, applied, lambda: _equals_staging(
            ctx, conn, staging_conn, decision.allowed_drift), key=ctx.settings.ledger_key)
    if applied:  # projected against actual, kept with the promotion (history shows it)
        from nivomigrate.checks import duration_budget

        ledger.append_checks(conn, run_id, [duration_budget.ledger_entry(
            list(decision.projections), applied)])
    report = way_back.with_certificates(
        run_report(ctx, findings + checks, applied, run_id, command="promote",
                   finished=executed.finished), back.items if back else [])
    report.data["staging_run_id"] = staging_run_id
    report.data["staging_footprint"] = ledger.footprints_of(
        decision.staging_run, {r.id for r in ctx.pending}) if decision.staging_run else []
    report.data["sql"] = _applied_sql(ctx.settings.versions_dir, applied)
    if decision.live_readers:
        ledger.append_checks(conn, run_id, [_contract_entry(ctx, decision, contract)])
    return _with_evidence(report, ctx, decision)


def _until_clear(ctx: RunContext, conn, staging_conn, prog: Progress, decision,
                 watch, contract: ContractOptions):
    """Re-read the live readers until they are all that blocked and they clear, or the
    timeout passes; return the decision with the last reading's findings."""
    import time
    from dataclasses import replace

    from nivomigrate.checks import live_readers
    from nivomigrate.engine.decision import contract_findings
    from nivomigrate.policies.promotion import load_promotion_policy

    quiet_s = load_promotion_policy(ctx.settings.policies_dir).contract_quiet_minutes * 60
    poll_s = min(30.0, max(0.5, quiet_s / 4))
    deadline = time.monotonic() + contract.timeout_s
    others = [f for f in decision.findings if f.check != live_readers.NAME]
    with prog.step(f"waiting for the live readers to clear (quiet period {quiet_s:g} s, "
                   f"timeout {contract.timeout_s:g} s)"):
        while decision.is_blocked and not any(f.is_blocking for f in others):
            if time.monotonic() + poll_s > deadline:
                waited = Finding(live_readers.NAME, Severity.INFO,
                                 f"--until-clear waited {contract.timeout_s:g} s; the live "
                                 "readers did not clear", environment=ctx.environment)
                return replace(decision, findings=(*decision.findings, waited))
            time.sleep(poll_s)
            live, evidence = contract_findings(ctx, conn, staging_conn, watch=watch,
                                               waiver=contract.waiver)
            decision = replace(decision, findings=tuple(others + live),
                               live_readers=tuple(evidence))
    return decision


def _contract_entry(ctx: RunContext, decision, contract: ContractOptions) -> dict:
    """What the ledger keeps of the live-readers gate: the contracts, what blocked them,
    and the waiver (who, why) when one was given."""
    from nivomigrate.checks import live_readers

    waived = [f for f in decision.findings if f.check == live_readers.NAME
              and f.message.startswith("waived by ")]
    return {"check": live_readers.NAME,
            "contracts": [{"revision": revision.id, "removes": list(evidence.removed)}
                          for revision, evidence in decision.live_readers],
            "waived": contract.waiver is not None and bool(waived),
            "waiver": ({"actor": ctx.settings.actor, "reason": contract.waiver}
                       if contract.waiver is not None else None),
            "blockers": [{"message": f.message, **dict(f.evidence)} for f in waived]}


def _with_evidence(report: Report, ctx: RunContext, decision) -> Report:
    """The report with a section of evidence for each contract revision."""
    from dataclasses import replace

    from nivomigrate.checks import live_readers

    if not decision.live_readers:
        return report
    sections = tuple(live_readers.evidence_section(evidence, revision, ctx.environment)
                     for revision, evidence in decision.live_readers)
    return replace(report, sections=report.sections + sections)


def _applied_sql(versions_dir, applied) -> list[dict]:
    """The SQL of each revision the promotion ran (the HTML report shows it)."""
    from nivomigrate import migrations

    return [{"id": a.revision.id, "file": a.revision.file_name,
             "sql": migrations.render_sql(versions_dir, a.revision).steps_text()}
            for a in applied]


@contextmanager
def _staging_loss_named(staging_conn, staging_name: str) -> Iterator[None]:
    """Turn the loss of the staging connection on the way into exit 4 naming staging."""
    import psycopg

    from nivomigrate.errors import DatabaseConnectionError
    from nivomigrate.redaction import redact

    try:
        yield
    except psycopg.OperationalError as exc:
        if not (staging_conn.broken or staging_conn.closed):
            raise
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DatabaseConnectionError(
            f"lost the connection to {staging_name} during the promotion: {redact(reason)}",
            hint="check that the server is up, then re-run: a revision that did not commit "
            "was rolled back, and the next run marks this one failed in the ledger",
        ) from exc


def _equals_staging(ctx: RunContext, conn, staging_conn, allowed_drift) -> list[Finding]:
    from nivomigrate.snapshot import take_snapshot

    return verify.findings(take_snapshot(conn), take_snapshot(staging_conn), ctx.environment,
                           "staging", allowed=allowed_drift)


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
