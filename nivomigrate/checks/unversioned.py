"""unversioned: a database with a schema but no recorded revision is adopted, not migrated.

Problem: a Prisma-made production has tables but no alembic_version; comparing it with
"no revision" reports every table as drift, and applying the revisions would try to create
what exists (Prisma's P3005 says the same).
Do instead: `nivomigrate baseline <env>` records the revision whose schema it has; an empty
database just needs `apply` (or `promote`).
"""

from __future__ import annotations

from nivomigrate.findings import Finding, Location, Severity

NAME = "unversioned"
EXIT_CODE = 3


def findings(environment: str, objects: list[str], promoted_from: str | None) -> list[Finding]:
    """What a database with no revision needs, from its objects (snapshot keys, without bare
    schemas and extensions)."""
    if not objects:
        todo = (f"run `nivomigrate apply {promoted_from}`, then `nivomigrate promote "
                f"{environment}`" if promoted_from else f"run `nivomigrate apply {environment}`")
        return [Finding(
            check="empty", severity=Severity.INFO,
            message=f"{environment} is empty: the revisions create its schema",
            location=Location(object=environment), environment=environment, help=todo,
        )]
    tables = sum(1 for key in objects if key.startswith("table "))
    return [Finding(
        check=NAME, severity=Severity.ERROR, exit_code=EXIT_CODE,
        message=f"{environment} has a schema ({tables} tables, {len(objects)} objects) but "
        "no revision recorded: nivomigrate does not know which revision it is at",
        location=Location(object=environment), environment=environment,
        help=f"adopt it first: `nivomigrate baseline {environment}` records the revision "
        "whose schema it has (nothing else changes)",
    )]
