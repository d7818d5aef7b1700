"""staging-run: prod gets only revisions that passed on staging, as the very SQL staging ran.

Problem: a promotion that staging never verified (no run, a failed run, or a file edited and
re-accepted after it ran) brings untested SQL to production.
Do instead: run `nivomigrate apply staging` and fix what it reports; put changes in a new
revision and apply it to staging first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import ledger
from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.migrations import ran_as_recorded

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.ledger import Run
    from nivomigrate.migrations import Revision

NAME = "staging-run"


def findings(staging: psycopg.Connection, target: str | None, pending: list[Revision],
             run: Run | None, executed: dict[str, dict] | None = None) -> list[Finding]:
    """Check that staging passed `run` at `target` and that its apply runs executed the
    pending revisions' SQL byte for byte (a `repair` re-accepts a file on staging, not on
    prod).

    Args:
        executed: the checksums per revision to trust (the signed runs' when runs are
            signed); default: those of every passed apply run.
    """
    if run is None:
        last = ledger.last_run(staging)
        failed = last is not None and last.status == "failed" and last.to_revision == target
        return [_finding(
            f"staging's last run to revision {target} failed: {last.reason}" if failed
            else f"staging has no passed run at revision {target}",
            "run `nivomigrate apply staging` and fix what it reports",
        )]
    if executed is None:
        executed = ledger.accepted_checksums(staging, kinds=("apply",))
    return [
        _finding(f"revision {revision.id}"
                 f"{_first_differing_step(executed.get(revision.id), revision)}"
                 " is not the SQL that ran on staging",
                 f"restore {revision.path.name} as it ran on staging (if it failed on prod, fix "
                 "prod's data and re-run), or put the change in a new revision; then run "
                 "`nivomigrate apply staging`",
                 Location(file=str(revision.path), line=1, object=revision.id))
        for revision in pending
        if not ran_as_recorded(revision, executed.get(revision.id))
    ]


def _first_differing_step(entry: dict | None, revision: Revision) -> str:
    """Return " step N" for the first step whose checksum differs from staging's, or ""."""
    steps = (entry or {}).get("steps")
    if not steps:
        return ""
    for number, (ran, now) in enumerate(zip(steps, revision.step_checksums, strict=False), 1):
        if ran != now:
            return f" step {number}"
    return f" step {min(len(steps), len(revision.step_checksums)) + 1}"


def _finding(message: str, help_text: str, location: Location | None = None) -> Finding:
    return Finding(check=NAME, severity=Severity.ERROR, message=message,
                   location=location or Location(object="staging"), help=help_text,
                   environment="staging")
