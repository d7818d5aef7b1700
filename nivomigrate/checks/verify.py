"""verify: after a run, the database has exactly the schema it should.

Problem: a revision can do more or less than the revisions' schema says (a hand-written
op.execute, a helper that branched on the live catalog), or prod can end unlike staging.
Do instead: compare with `nivomigrate diff` and make the revision do what the models say.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from nivomigrate.checks import drift
from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.snapshot import compare

if TYPE_CHECKING:
    from nivomigrate.snapshot import SchemaDiff, Snapshot

NAME = "verify"
EXIT_CODE = 3


def findings(actual: Snapshot, expected: Snapshot, environment: str, expected_name: str, *,
             allowed: SchemaDiff | None = None) -> list[Finding]:
    """Report where `actual` (the database after the run) differs from `expected`.

    Args:
        allowed: drift that --allow-drift let through before the run: the objects it names
            are left out of the comparison, and a WARNING records them with the run.
    """
    difference = compare(expected, actual)
    found = []
    if allowed is not None:
        difference = _without(difference, _keys(allowed))
        found.append(Finding(
            check=drift.NAME, severity=Severity.WARNING,
            message=f"allowed drift of {environment} left out of the verification: "
            + allowed.summary("the revisions", environment),
            location=Location(object=environment), environment=environment,
            help="declare it in the models and let `nivomigrate revision -m` write it, or "
            "undo it; `nivomigrate plan` keeps reporting it until then",
        ))
    if difference.is_empty:
        return found
    return found + [Finding(
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


def _keys(difference: SchemaDiff) -> set[str]:
    return {*difference.added, *difference.removed, *(c.key for c in difference.changed)}


def _without(difference: SchemaDiff, keys: set[str]) -> SchemaDiff:
    return replace(difference,
                   added=tuple(k for k in difference.added if k not in keys),
                   removed=tuple(k for k in difference.removed if k not in keys),
                   changed=tuple(c for c in difference.changed if c.key not in keys))
