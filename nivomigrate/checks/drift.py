"""drift: a database must have the schema its recorded revision says it has.

Problem: a change made by hand (an index in the console, a column added by `prisma db push`)
is not in the revisions; the next promotion then runs on a schema nobody verified, and
staging can no longer vouch for prod.
Do instead: undo it; to keep it, declare it in the models and let `nivomigrate revision -m`
write the revision that makes it again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.quoting import identifier
from nivomigrate.snapshot import compare

if TYPE_CHECKING:
    from nivomigrate.snapshot import SchemaDiff, Snapshot

NAME = "drift"
EXIT_CODE = 3


@dataclass(frozen=True)
class Drift:
    """How a database differs from the schema its revision should have: `drift` (expected →
    actual), and the INVALID indexes an interrupted CREATE INDEX CONCURRENTLY left behind."""

    drift: SchemaDiff
    leftovers: tuple[str, ...] = ()


def difference(expected: Snapshot, actual: Snapshot) -> Drift:
    """Compare `actual` with `expected`, setting INVALID indexes only `actual` has apart."""
    found, leftovers = _without_invalid_indexes(compare(expected, actual), actual)
    return Drift(found, leftovers)


def findings(expected: Snapshot, actual: Snapshot, current: str | None, environment: str,
             *, allowed: bool = False) -> list[Finding]:
    """Compare `actual` with `expected`, the schema at revision `current` (`findings_of`)."""
    return findings_of(difference(expected, actual), current, environment, allowed=allowed)


def findings_of(found: Drift, current: str | None, environment: str, *,
                allowed: bool = False) -> list[Finding]:
    """INVALID leftovers are WARNINGs (the re-run rebuilds them); any other difference is an
    ERROR, a WARNING when `allowed` (--allow-drift: recorded, left out of verification)."""
    result = [_leftover_finding(key, environment) for key in found.leftovers]
    drift = found.drift
    if drift.is_empty:
        return result
    return result + [Finding(
        check=NAME, exit_code=EXIT_CODE,
        severity=Severity.WARNING if allowed else Severity.ERROR,
        message=f"{environment} differs from the schema of revision {current or 'base'}: "
        + drift.summary("the revisions", environment)
        + (" (allowed by --allow-drift: recorded with the run and left out of its "
           "verification)" if allowed else ""),
        location=Location(object=environment),
        help=f"undo it on {environment}; to keep the change, declare it in the models too: "
        "`nivomigrate revision -m \"...\"` writes what the models add to head (not what "
        f"{environment} has), and apply makes it again; --allow-drift proceeds anyway and is "
        "recorded",
        evidence=tuple(("difference", text) for _, text in
                       drift.entries("the revisions", environment)[:20]),
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
    quoted = identifier(*name.split(".", 1))
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
