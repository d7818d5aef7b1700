"""checksum: a revision applied to an environment must not be edited afterwards.

Problem: the ledger says what ran; an edited file no longer says it, so staging and prod can
run different SQL under one revision id (Flyway's validate, Prisma's "was modified").
Do instead: restore the file as it was applied and put the change in a new revision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.migrations import up_to

if TYPE_CHECKING:
    from nivomigrate.migrations import Revision

NAME = "checksum"
EXIT_CODE = 3


def findings(chain: list[Revision], accepted: dict[str, dict], current: str | None,
                      environment: str) -> list[Finding]:
    """Report revisions applied to `environment` whose file changed since (Flyway's validate)."""
    applied_ids = {r.id for r in up_to(chain, current)}
    findings = []
    for revision in chain:
        entry = accepted.get(revision.id)
        if revision.id not in applied_ids or entry is None:
            continue
        if entry.get("file_checksum") != revision.file_checksum:
            sql_changed = entry.get("sql_checksum") not in (None, revision.sql_checksum)
            findings.append(Finding(
                check=NAME, exit_code=EXIT_CODE,
                severity=Severity.ERROR,
                message=f"revision {revision.id} was edited after it was applied to "
                f"{environment}" + (" and its SQL changed" if sql_changed else ""),
                location=Location(file=str(revision.path), line=1, object=revision.id),
                help="restore the file as it was applied and put the change in a new revision, "
                f"or re-accept it: nivomigrate repair {environment} --reason \"...\"",
                environment=environment,
            ))
    return findings
