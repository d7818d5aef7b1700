"""History: the runs recorded in each environment's ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import ledger
from nivomigrate.db import connection, target_for
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def show_history(settings: Settings, selection: str = "all", limit: int = 50) -> Report:
    """Return the runs of each environment's ledger, newest first."""
    sections, data = [], {}
    for name in settings.selected(selection):
        with connection(target_for(settings.environment(name)), writes=False) as conn:
            runs = ledger.runs(conn, limit)
        rows = tuple(
            (str(r.id), r.kind, r.status, f"{r.from_revision or 'base'} → {r.to_revision}",
             f"{r.started_at:%Y-%m-%d %H:%M:%S}", r.actor, (r.git_commit or "")[:10],
             (r.reason or "")[:80])
            for r in runs)
        sections.append(Section(f"{name} ledger", ("run", "kind", "status", "revisions",
                                                   "started", "actor", "commit", "reason"), rows))
        errors = _projection_rows(runs)
        if errors:
            sections.append(Section(f"{name}: duration projected against actual",
                                    ("run", "revision", "projected", "actual", "error"), errors))
        data[name] = [_run_json(r) for r in runs]
    return Report(command="history", title="nivomigrate history", sections=tuple(sections),
                  data={"environments": data})


def _projection_rows(runs: list[ledger.Run]) -> tuple[tuple[str, ...], ...]:
    """Each promoted revision's projected and actual seconds; error = actual / projected."""
    from nivomigrate.checks.duration_budget import projection_errors

    return tuple((str(run.id), row["revision"], f"{row['projected_s']:.2f} s",
                  f"{row['actual_s']:.2f} s", _error_text(row))
                 for run in runs for row in projection_errors(run.checks))


def _error_text(row: dict) -> str:
    projected, actual = row["projected_s"], row["actual_s"]
    if projected <= 0:
        return "no projection"
    return f"×{actual / projected:.2f}"


def _run_json(run: ledger.Run) -> dict:
    return {
        "id": run.id, "kind": run.kind, "status": run.status,
        "from_revision": run.from_revision, "to_revision": run.to_revision,
        "revisions": run.revisions, "fingerprint_before": run.fingerprint_before,
        "fingerprint_after": run.fingerprint_after, "git_commit": run.git_commit,
        "git_branch": run.git_branch, "git_dirty": run.git_dirty, "actor": run.actor,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "reason": run.reason, "checks": run.checks, "restore_point": run.restore_point,
        "staging_run_id": run.staging_run_id, "allow_drift": run.allow_drift,
    }
