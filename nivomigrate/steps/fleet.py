"""Fleet: one change promoted to many production databases, wave after wave (docs/fleet.md).

`plan_fleet` is `plan --gate promote` for every target (the same `promote_decision`) plus the
GitHub Actions matrix of the waves; `promote_fleet` runs the waves here, in order, with the
halt rule; `gate_wave` is the halt rule and the soak between the workflow's wave jobs, read
from the wave jobs' reports; `fleet_status` merges every target's ledger into one report.
Each target is promoted by `promote_environment`: its own lock, its own ledger.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import ledger, migrations
from nivomigrate.db import connection, target_for
from nivomigrate.engine.decision import promote_decision
from nivomigrate.engine.fleet import (
    HALT,
    TargetState,
    github_matrix,
    halt_findings,
    rerun_hint,
    wave_of,
)
from nivomigrate.engine.run import RunContext
from nivomigrate.errors import ConfigError, DatabaseConnectionError, NivoError
from nivomigrate.findings import Finding, Location, Report, Section, Severity, deduplicated
from nivomigrate.progress import Progress

if TYPE_CHECKING:
    from nivomigrate.config import Fleet, Settings

FAILED = "fleet-target"
PLAN_FILE = "fleet-plan.json"


def plan_fleet(settings: Settings, name: str, progress: Progress | None = None, *,
               max_waves: int | None = None) -> Report:
    """Return the promote gate of every target of fleet `name` and the waves' matrix.

    A target that cannot be reached or has no URL is a blocking finding of its own (exit 4,
    2), so the plan still shows the others. `max_waves`: the waves the workflow has jobs for;
    a fleet with more is refused (exit 2) rather than left half-promoted.

    Raises:
        ConfigError: unknown fleet, or staging's URL is not set.
        DatabaseConnectionError: staging could not be reached.
    """
    from nivomigrate.policies import validate_policies

    fleet = settings.fleet(name)
    progress = progress or Progress()
    validate_policies(settings.policies_dir)
    chain = migrations.with_sql_checksums(settings.versions_dir,
                                          migrations.revisions(settings.versions_dir))
    head = migrations.head_of(chain)
    git = ledger.git_state(settings.root, settings.versions_dir)
    findings: list[Finding] = []
    rows, targets, behind = [], {}, set()
    staging = target_for(settings.environment(fleet.promoted_from))
    with connection(staging, writes=False) as staging_conn:
        for target in fleet.targets:
            with progress.step(f"the promote gate of {target} (wave {wave_of(fleet, target)})"):
                current, pending, found = _target_gate(settings, target, chain, head, git,
                                                       staging_conn)
            blocking = sorted({f.check for f in found if f.is_blocking})
            findings += found
            if current != head:
                behind.add(target)
            rows.append((str(wave_of(fleet, target)), target, current or "base", str(pending),
                         "blocked" if blocking else "pass", ", ".join(blocking) or "-"))
            targets[target] = {"wave": wave_of(fleet, target), "current_revision": current,
                               "pending": pending, "verdict": "blocked" if blocking else "pass",
                               "blocking": blocking}
    matrix = github_matrix(settings, fleet, behind)
    if max_waves is not None and len(fleet.waves) > max_waves:
        findings.append(Finding(
            check=FAILED, severity=Severity.ERROR, exit_code=2,
            message=f"fleet {name} has {len(fleet.waves)} waves; the workflow runs {max_waves}",
            location=Location(object=name), environment=name,
            help="merge waves in nivomigrate.toml, or add a gate/wave job pair to the workflow"))
    sections = (
        Section(f"fleet {name}: the promote gate of each target (head {head})",
                ("wave", "target", "revision", "pending", "verdict", "blocked by"), tuple(rows)),
        Section("GitHub Actions matrix (the waves' targets behind head)",
                text=json.dumps(matrix, indent=2), language="json"),
    )
    return Report(command="fleet plan", title=f"nivomigrate fleet plan {name}: head {head}, "
                  f"{len(behind)} of {len(fleet.targets)} target(s) behind",
                  findings=tuple(deduplicated(findings)), sections=sections,
                  data={"fleet": name, "head": head, "targets": targets, "matrix": matrix},
                  notes=("read-only: every session was opened read-only",))


def _target_gate(settings: Settings, target: str, chain, head, git, staging_conn
                 ) -> tuple[str | None, int, list[Finding]]:
    """Return `target`'s revision, its pending count and `promote_decision`'s findings."""
    try:
        with connection(target_for(settings.environment(target)), writes=False) as conn:
            current = migrations.current_revision(conn)
            pending = migrations.pending_after(chain, current)
            ctx = RunContext(settings, target, target_for(settings.environment(target)), chain,
                             current, head, pending, git)
            decision = promote_decision(ctx, conn, staging_conn)
    except (ConfigError, DatabaseConnectionError) as exc:
        return None, -1, [_failure(target, exc)]
    return current, len(pending), [replace(f, environment=f.environment or target)
                                   for f in decision.findings]


def promote_fleet(settings: Settings, name: str, *, wave: int | None = None,
                  progress: Progress | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> Report:
    """Promote fleet `name` wave by wave (only wave `wave` with it), each target with
    `promote_environment`; a target already at head is skipped, so a re-run promotes only
    what is behind.

    Before each wave after the first, the halt rule: the targets of the waves before it that
    are still behind head (a promotion refused or failed, now or in an earlier run) must not
    be more than `max_failures`, else nothing more runs; then the soak (`soak_seconds`) after
    a wave that promoted something. Within a wave, targets run one after another here (the
    workflow runs them `max_parallel` at once), and the wave stops at the failure that
    exceeds `max_failures`.

    Raises:
        ConfigError: unknown fleet, or `wave` is not one of its waves.
    """
    fleet = settings.fleet(name)
    progress = progress or Progress()
    numbers = _wave_numbers(fleet, wave)
    head = migrations.head(settings.versions_dir)
    findings: list[Finding] = []
    rows: list[tuple[str, ...]] = []
    failed: list[str] = []
    promoted_in_last_wave = False
    for number in numbers:
        if number > 1:
            halt = halt_findings(fleet, number, _behind_before(settings, fleet, number, head,
                                                               failed))
            if halt:
                findings += halt
                rows += _not_run(fleet, number, "not run: halted")
                break
            if promoted_in_last_wave and fleet.soak_seconds:
                with progress.step(f"soaking {fleet.soak_seconds} s before wave {number}"):
                    sleep(fleet.soak_seconds)
        promoted_in_last_wave = False
        for target in fleet.waves[number - 1]:
            if len(failed) > fleet.max_failures:
                rows.append((str(number), target, "not run: the wave stopped", "-"))
                continue
            row, found, ok, ran = _promote_target(settings, target, number, head, progress)
            rows.append(row)
            findings += found
            promoted_in_last_wave |= ran and ok
            if not ok:
                failed.append(target)
    if failed and not any(f.check == HALT for f in findings):
        findings += halt_findings(fleet, len(fleet.waves) + 1, failed)
    return Report(command="fleet promote",
                  title=f"nivomigrate fleet promote {name}: head {head}, "
                        f"{len(failed)} target(s) failed",
                  findings=tuple(findings),
                  sections=(Section(f"fleet {name}: the waves", ("wave", "target", "outcome",
                                                                 "run"), tuple(rows)),),
                  data={"fleet": name, "head": head, "failed": failed,
                        "targets": {row[1]: {"wave": int(row[0]), "outcome": row[2]}
                                    for row in rows}})


def _not_run(fleet: Fleet, first: int, outcome: str) -> list[tuple[str, ...]]:
    """Rows for every target of wave `first` and after: not run, with why."""
    return [(str(number), target, outcome, "-")
            for number, wave in enumerate(fleet.waves, start=1) if number >= first
            for target in wave]


def _wave_numbers(fleet: Fleet, wave: int | None) -> list[int]:
    if wave is None:
        return list(range(1, len(fleet.waves) + 1))
    if not 1 <= wave <= len(fleet.waves):
        raise ConfigError(f"fleet {fleet.name} has waves 1 to {len(fleet.waves)}, not {wave}",
                          hint=f"use --wave 1..{len(fleet.waves)}")
    return [wave]


def _promote_target(settings: Settings, target: str, number: int, head: str | None,
                    progress: Progress) -> tuple[tuple[str, ...], list[Finding], bool, bool]:
    """Promote one target unless it is at head: (row, findings, succeeded, ran)."""
    from nivomigrate.steps.promote import promote_environment

    try:
        if _revision_of(settings, target) == head:
            return (str(number), target, "at head: skipped", "-"), [], True, False
        with progress.step(f"promoting {target} (wave {number})"):
            report = promote_environment(settings, target, progress=progress)
    except NivoError as exc:
        return (str(number), target, f"failed (exit {exc.exit_code})", "-"), \
            [_failure(target, exc)], False, True
    found = [replace(f, environment=f.environment or target) for f in report.findings]
    run = f"#{report.data['run_id']}" if report.data.get("run_id") else "-"
    if report.exit_code:
        return (str(number), target, f"refused (exit {report.exit_code}), unchanged", run), \
            found, False, True
    return (str(number), target, f"promoted to {head}", run), found, True, True


def _behind_before(settings: Settings, fleet: Fleet, number: int, head: str | None,
                   failed: list[str]) -> list[str]:
    """The targets of the waves before `number` that failed here or are still behind head
    (refused, failed or not run, in this run or an earlier one)."""
    earlier = [t for wave in fleet.waves[:number - 1] for t in wave]
    behind = []
    for target in earlier:
        if target in failed:
            behind.append(target)
            continue
        try:
            if _revision_of(settings, target) != head:
                behind.append(target)
        except NivoError:
            behind.append(target)
    return behind


def _revision_of(settings: Settings, target: str) -> str | None:
    with connection(target_for(settings.environment(target)), writes=False) as conn:
        return migrations.current_revision(conn)


def gate_wave(settings: Settings, name: str, wave: int, reports: Path,
              sleep: Callable[[float], None] = time.sleep) -> Report:
    """The halt rule before the workflow's wave `wave`, from the reports the earlier waves'
    jobs kept in `reports` (fleet-plan.json and promote-<target>.json): a target the plan put
    in the matrix whose report is missing or not a pass counts as failed. When the rule lets
    the wave start, wait the fleet's soak time first. Reads no database.

    Raises:
        ConfigError: unknown fleet or wave, or no readable fleet-plan.json in `reports`.
    """
    fleet = settings.fleet(name)
    _wave_numbers(fleet, wave)
    matrix = _plan_matrix(reports / PLAN_FILE)
    rows, failed = [], []
    for number, entry in enumerate(matrix["waves"][:wave - 1], start=1):
        for target in [item["target"] for item in (entry or {"include": []})["include"]]:
            outcome = _report_outcome(reports / f"promote-{target}.json")
            rows.append((str(number), target, outcome))
            if outcome != "pass":
                failed.append(target)
    findings = halt_findings(fleet, wave, failed)
    notes: tuple[str, ...] = ()
    if not findings and fleet.soak_seconds and rows:
        sleep(fleet.soak_seconds)
        notes = (f"soaked {fleet.soak_seconds} s after wave {wave - 1}",)
    return Report(command="fleet gate",
                  title=f"nivomigrate fleet gate {name}: wave {wave} "
                        f"{'halted' if findings else 'may start'}",
                  findings=tuple(findings), notes=notes,
                  sections=(Section("the earlier waves' promotions", ("wave", "target",
                                                                      "report"), tuple(rows)),),
                  data={"fleet": name, "wave": wave, "failed": failed})


def _plan_matrix(path: Path) -> dict:
    try:
        return json.loads(path.read_text())["data"]["matrix"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"cannot read the fleet plan {path}: {exc}",
                          hint="download the plan job's report (fleet-plan.json) first") from None


def _report_outcome(path: Path) -> str:
    """pass, or why the target counts as failed (no report, unreadable, blocked, error)."""
    if not path.is_file() or not path.read_text().strip():
        return "no report (the job failed before promoting)"
    try:
        document = json.loads(path.read_text())
    except ValueError:
        return "unreadable report"
    code = document.get("data", {}).get("exit_code")
    return "pass" if document.get("verdict") == "pass" and code == 0 else f"failed (exit {code})"


def fleet_status(settings: Settings, name: str) -> Report:
    """Return where every target of fleet `name` stands, merged from each target's ledger:
    its revision, its last run, what failed and what to re-run. Read-only; an unreachable
    target is a blocking finding (exit 4), the others are still shown."""
    fleet = settings.fleet(name)
    head = migrations.head(settings.versions_dir)
    states, findings = [], []
    for target in fleet.targets:
        try:
            states.append(_state_of(settings, fleet, target, head))
        except NivoError as exc:
            findings.append(_failure(target, exc))
            states.append(TargetState(target, wave_of(fleet, target), None, head,
                                      failed=True, reason=exc.message))
    findings += [Finding(check=FAILED, severity=Severity.WARNING,
                         message=f"{s.target} is at {s.revision or 'base'}, behind head {head}"
                                 + (f": its last run failed: {s.reason}" if s.reason else ""),
                         location=Location(object=s.target), environment=s.target,
                         help=rerun_hint(fleet, states))
                 for s in states if s.is_behind and not any(f.environment == s.target
                                                            for f in findings)]
    rows = tuple((str(s.wave), s.target, s.revision or "base",
                  "at head" if not s.is_behind else ("failed" if s.failed else "behind"),
                  s.last_run or "none", s.reason or "-") for s in states)
    at_head = sum(not s.is_behind for s in states)
    return Report(command="fleet status",
                  title=f"nivomigrate fleet status {name}: {at_head} of {len(states)} "
                        f"target(s) at head {head}",
                  findings=tuple(findings), notes=(rerun_hint(fleet, states),),
                  sections=(Section(f"fleet {name}", ("wave", "target", "revision", "state",
                                                      "last run", "failure"), rows),),
                  data={"fleet": name, "head": head, "at_head": at_head,
                        "rerun": [s.target for s in states if s.is_behind],
                        "targets": {s.target: {"wave": s.wave, "current_revision": s.revision,
                                               "at_head": not s.is_behind, "failed": s.failed,
                                               "last_run": s.last_run, "reason": s.reason}
                                    for s in states}})


def _state_of(settings: Settings, fleet: Fleet, target: str, head: str | None) -> TargetState:
    with connection(target_for(settings.environment(target)), writes=False) as conn:
        current = migrations.current_revision(conn)
        last = ledger.last_run(conn, ("promote", "apply", "baseline", "repair"))
    failed = last is not None and last.status == "failed"
    reason = (last.reason or "").splitlines()[0] if failed and last.reason else ""
    return TargetState(target, wave_of(fleet, target), current, head,
                       last_run=f"#{last.id} {last.kind} {last.status}" if last else "",
                       failed=failed and current != head, reason=reason)


def _failure(target: str, exc: NivoError) -> Finding:
    return Finding(check=FAILED, severity=Severity.ERROR, message=f"{target}: {exc.message}",
                   location=Location(object=target), help=exc.hint, environment=target,
                   exit_code=exc.exit_code)

