"""verify: after a run, the database has exactly the schema it should.

Problem: a revision can do more or less than the revisions' schema says (a hand-written
op.execute, a helper that branched on the live catalog), or prod can end unlike staging.
Do instead: compare with `nivomigrate diff` and make the revision do what the models say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.snapshot import compare

if TYPE_CHECKING:
    from nivomigrate.snapshot import Snapshot

NAME = "verify"
EXIT_CODE = 3


def findings(actual: Snapshot, expected: Snapshot, environment: str,
             expected_name: str) -> list[Finding]:
    """Report where `actual` (the database after the run) differs from `expected`."""
    difference = compare(expected, actual)
    if difference.is_empty:
        return []
    return [Finding(
        check=NAME, exit_code=EXIT_CODE, severity=Severity.ERROR,
        message=f"after the run, {environment} differs from {expected_name}: "
        + difference.summary(expected_name, environment),
        location=Location(object=environment),
        help="a revision does something its models/other environments do not; "
        "compare with `nivomigrate diff`",
        evidence=tuple(("difference", text) for _, text in
                       difference.entries(expected_name, environment)[:20]),
        environment=environment,
    )]
