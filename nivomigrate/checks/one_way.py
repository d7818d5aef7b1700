"""one-way: every revision has a proven way back, or says it has none.

Problem: whether a revision's downgrade() works, and what it loses, is otherwise found out in
an incident, with production down. A downgrade that raises, is empty, or leaves another schema
than the revision before is no way back; one that drops a column the revision filled loses
those values.
Do instead: write a downgrade that restores the previous schema (the merge gate proves it in
the shadow server: up, down, compare with the previous revision's schema, up), or declare
`one_way = "why"` at module level, so that promote makes a usable restore point first and
`nivomigrate rollback` prints the recovery steps (docs/rollback.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from nivomigrate.engine.way_back import Certificate, Proof
    from nivomigrate.migrations import Revision

NAME = "one-way"
_HELP = ('write a downgrade() that restores the previous revision\'s schema, or declare '
         '`one_way = "<why>"` at module level (docs/rollback.md)')


def gate_findings(revision: Revision, proof: Proof | None, declared: str | None) -> list[Finding]:
    """The merge gate's verdict on one revision: an ERROR unless its downgrade is proven in
    the shadow server or it declares itself one-way (then INFO)."""
    location = Location(file=str(revision.path), line=1, object=revision.id)
    if declared:
        return [Finding(NAME, Severity.INFO, f"revision {revision.id} is declared one-way: "
                        f"{declared}", location, environment="head")]
    if proof is None or proof.is_proven:
        return []
    return [Finding(NAME, Severity.ERROR, f"revision {revision.id} has no way back: "
                    f"{proof.failure}", location, help=_HELP, environment="head")]


def certificate_findings(certificates: list[Certificate], environment: str,
                         revisions: dict[str, Revision]) -> list[Finding]:
    """What apply reports of the certificates it made: a lossy or undeclared one-way
    downgrade is a WARNING (the merge gate is where it blocks), a declared one INFO."""
    found = []
    for certificate in certificates:
        revision = revisions.get(certificate.revision)
        location = Location(file=str(revision.path) if revision else None,
                            line=1 if revision else None, object=certificate.revision)
        if certificate.verdict == "proven":
            continue
        severity = Severity.INFO if certificate.declared else Severity.WARNING
        found.append(Finding(
            NAME, severity, f"revision {certificate.revision}'s way back is "
            f"{certificate.summary}", location, environment=environment,
            help=None if certificate.declared else (
                "promote makes a usable restore point first (pg_dump of the tables, or "
                "Supabase's PITR); or write a downgrade that keeps the data"
                if certificate.verdict == "lossy" else _HELP),
            evidence=tuple(("loses", loss) for loss in certificate.losses[:20])))
    return found
