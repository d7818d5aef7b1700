"""checksum: a revision applied to an environment must not be edited afterwards.

Problem: the ledger says what ran; an edited file no longer says it, so staging and prod can
run different SQL under one revision id (Flyway's validate, Prisma's "was modified").
Do instead: restore the file as it was applied and put the change in a new revision.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.migrations import ran_as_recorded, up_to

if TYPE_CHECKING:
    from nivomigrate.migrations import Revision

NAME = "checksum"
EXIT_CODE = 3


def findings(chain: list[Revision], accepted: dict[str, dict], current: str | None,
             environment: str, executed: dict[str, dict] | None = None) -> list[Finding]:
    """Report revisions applied to `environment` whose file changed since (Flyway's validate).

    A file passes when it is the one last accepted (`accepted`: applied, or re-accepted by
    repair) or the one that ran (`executed`: so restoring a repaired file passes again).
    """
    applied_ids = {r.id for r in up_to(chain, current)}
    found = []
    for revision in chain:
        entry = accepted.get(revision.id)
        if revision.id not in applied_ids or entry is None:
            continue
        ran = (executed or {}).get(revision.id) or {}
        if revision.file_checksum in (entry.get("file_checksum"), ran.get("file_checksum")):
            continue
        sql_changed = entry.get("sql_checksum") is not None and not ran_as_recorded(
            revision, entry)
        found.append(Finding(
            check=NAME, exit_code=EXIT_CODE,
            severity=Severity.ERROR,
            message=f"revision {revision.id} was edited after it was applied to "
            f"{environment}" + (" and its SQL changed" if sql_changed else ""),
            location=Location(file=str(revision.path), line=1, object=revision.id),
            help=_edited_help(revision, environment, entry),
            environment=environment,
        ))
    return found


def _edited_help(revision: Revision, environment: str, entry: dict) -> str:
    """The way back to a passing state: restore the SQL that ran; a cosmetic edit may be
    re-accepted (repair), an SQL change may not (only SQL that ran on staging is promoted)."""
    restore = (f"restore {revision.path.name} as it was applied (`git checkout -- "
               f"{revision.path.name}` when the edit is not committed) and put the change in "
               "a new revision (nivomigrate revision -m ...)")
    if entry.get("sql_checksum") is not None and not ran_as_recorded(revision, entry):
        return restore
    return (f"its SQL is unchanged: re-accept the edit with `nivomigrate repair {environment} "
            f'--reason "..."`, or ' + restore)
