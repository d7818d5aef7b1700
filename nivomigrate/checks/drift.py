"""drift: a database must have the schema its recorded revision says it has.

Problem: a change made by hand (an index in the console, a column added by `prisma db push`)
is not in the revisions; the next promotion then runs on a schema nobody verified, and
staging can no longer vouch for prod.
Do instead: put the change in a revision (nivomigrate revision -m ...) or undo it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.snapshot import compare

if TYPE_CHECKING:
    from nivomigrate.snapshot import SchemaDiff, Snapshot

NAME = "drift"
EXIT_CODE = 3


def findings(expected: Snapshot, actual: Snapshot, current: str | None, environment: str,
             *, allowed: bool = False) -> list[Finding]:
    """Compare `actual` with `expected`, the schema at revision `current`.

    INVALID indexes only the database has are WARNINGs (an interrupted CREATE INDEX
    CONCURRENTLY, rebuilt by the re-run); anything else is an ERROR, a WARNING when `allowed`.
    """
    difference, leftovers = _without_invalid_indexes(compare(expected, actual), actual)
    found = [_leftover_finding(key, environment) for key in leftovers]
    if difference.is_empty:
        return found
    return found + [Finding(
        check=NAME, exit_code=EXIT_CODE,
        severity=Severity.WARNING if allowed else Severity.ERROR,
        message=f"{environment} differs from the schema of revision {current or 'base'}: "
        + difference.summary("the revisions", environment),
        location=Location(object=environment),
        help="put the change in a revision (nivomigrate revision -m ...) or undo it; "
        "--allow-drift proceeds anyway and is recorded",
        evidence=tuple(("difference", text) for _, text in
                       difference.entries("the revisions", environment)[:20]),
        environment=environment,
    )]


def _without_invalid_indexes(difference: SchemaDiff, actual: Snapshot) -> tuple:
    """Split off the INVALID indexes only the database has: what an interrupted CREATE INDEX
    CONCURRENTLY leaves behind, never used by queries, rebuilt by the re-run (nivomigrate.ops).
    Verification after the run still catches one that no revision rebuilds."""
    leftovers = tuple(key for key in difference.removed if key.startswith("index ")
                      and actual.objects[key].get("valid") is False)
    removed = tuple(key for key in difference.removed if key not in leftovers)
    return replace(difference, removed=removed), leftovers


def _leftover_finding(key: str, environment: str) -> Finding:
    name = key.split(" ", 1)[1]
    quoted = ".".join(f'"{part}"' for part in name.split(".", 1))
    return Finding(
        check=NAME, exit_code=EXIT_CODE,
        severity=Severity.WARNING,
        message=f"{environment} has the INVALID index {name}, left by an interrupted "
        "CREATE INDEX CONCURRENTLY",
        location=Location(object=name),
        help="a revision that builds it with nivomigrate.ops.create_index_concurrently "
        f"rebuilds it; otherwise drop it: DROP INDEX CONCURRENTLY {quoted}",
        environment=environment,
    )
