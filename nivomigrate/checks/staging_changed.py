"""staging-changed: staging must still be what its passed run verified when prod follows it.

Problem: a hand-made change on staging after its verified run means the schema promoted is
not the one verified, and prod's verification against staging would copy the change.
Do instead: re-run `nivomigrate apply staging`, so the promoted schema is the verified one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.snapshot import take_snapshot

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.ledger import Run

NAME = "staging-changed"
EXIT_CODE = 3


def findings(staging: psycopg.Connection, target: str | None, run: Run) -> list[Finding]:
    """Compare staging's revision and fingerprint with those its passed `run` recorded."""
    current = migrations.current_revision(staging)
    if current == target and take_snapshot(staging).fingerprint == run.fingerprint_after:
        return []
    return [Finding(
        check=NAME, exit_code=EXIT_CODE,
        severity=Severity.ERROR,
        message=f"staging changed after its passed run #{run.id} "
        f"({'revision ' + str(current) if current != target else 'its schema differs'})",
        location=Location(object="staging"),
        help="re-run `nivomigrate apply staging` so the promoted schema is the one verified",
        environment="staging",
    )]
