"""service-still-uses: a dropped or renamed table or column that a service still reads or writes.

Problem: ingest, control and studio share one database and deploy on their own; a column
dropped while a service's Prisma client still selects it makes every query of that model fail
("column does not exist") until the service is redeployed.
Do instead: expand/contract. Deploy the services without the column first (update
`policies/services.yaml`), then drop it in a later revision; for a rename, add the new column,
write both, backfill, switch the readers, then drop the old one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Severity

if TYPE_CHECKING:
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import Change, RevisionSQL
    from nivomigrate.policies.services import ServiceMap

NAME = "service-still-uses"


def run(revision: RevisionSQL, services: ServiceMap) -> list[Finding]:
    """Flag each drop or rename of a table or column that a service in the map still uses."""
    findings = []
    created = revision.created_tables()
    for statement in revision.statements:
        for change in statement.changes:
            if change.kind not in {"drop_table", "rename_table", "drop_column", "rename_column"}:
                continue
            if change.table in created:
                continue
            users = [(use.service, use.uses(change.column)) for use in
                     services.of_table(change.table)]
            users = [(service, how) for service, how in users if how]
            if users:
                findings.append(_finding(revision, statement, change, users, services))
    return findings


def _finding(revision, statement, change: Change, users, services: ServiceMap) -> Finding:
    obj = f"{change.table}.{change.column}" if change.column else change.table
    verb = "renamed" if change.kind.startswith("rename") else "dropped"
    who = "; ".join(f"{service} {' and '.join(how)} it" for service, how in users)
    owner = (services.owners or {}).get(change.table)
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=f'"{obj}" is {verb} while services still use it: {who}',
        location=revision.location(statement, obj),
        help=("expand/contract: first deploy the services without it and update "
              "policies/services.yaml, then drop it in a later revision"
              + (f"; owner of {change.table}: {owner}" if owner else "")
              + ("; for a rename add the new column, write both, backfill, switch readers, "
                 "then drop the old" if verb == "renamed" else "")),
        evidence=(("statement", statement.sql),
                  *((f"service {service}", ", ".join(how)) for service, how in users)),
    )


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: drops and renames of what services.yaml says is in use."""
    return run(revision, ctx.services)
