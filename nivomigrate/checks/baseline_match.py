"""baseline: a database adopted without a ledger must match a revision's schema exactly.

Problem: stamping a database at a revision it does not match hides hand-made changes from
every later drift check (Prisma's P3005 refuses likewise).
Do instead: undo the hand-made change, or write it into an adoption revision for review:
nivomigrate baseline <env> --write-revision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from nivomigrate.snapshot import SchemaDiff

NAME = "baseline"
EXIT_CODE = 3


def findings(environment: str, candidate: str, difference: SchemaDiff,
             severity: Severity = Severity.ERROR) -> list[Finding]:
    """One finding per object on which `environment` differs from the `candidate` schema."""
    return [
        Finding(
            check=NAME, severity=severity, exit_code=EXIT_CODE,
            message=f"{environment} differs from {candidate}: {text}",
            location=Location(object=key),
            help=f"nivomigrate baseline {environment} --write-revision writes the change into "
            "an adoption revision for review; or undo it by hand",
            environment=environment,
        )
        for key, text in difference.entries(candidate, environment)
    ]


def build_failure(message: str, hint: str | None, revision_file: str) -> Finding:
    """The adoption revision baseline wrote does not build in the shadow server."""
    return Finding(check=NAME, severity=Severity.ERROR, exit_code=EXIT_CODE,
                   message=f"the written adoption revision does not build: {message}",
                   location=Location(file=revision_file),
                   help=hint or "edit its UPGRADE statements")


def needs_editing(problem: str) -> Finding:
    """The adoption revision baseline wrote builds, but not idempotently or not exactly."""
    return Finding(check=NAME, severity=Severity.ERROR, exit_code=EXIT_CODE,
                   message=f"the written adoption revision needs editing: {problem}",
                   location=Location(object="adoption revision"),
                   help="edit its UPGRADE statements until they are idempotent and complete")
