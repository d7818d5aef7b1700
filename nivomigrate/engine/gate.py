"""The gate's checks shared by plan, apply and promote: checksums, drift, the staging run.

Each returns findings; apply and promote turn blocking findings into their exit codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.errors import first_exit_code
from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.ledger import GitState, Run
    from nivomigrate.migrations import Revision

# The exit code each blocking check stands for (README, "Exit codes").
EXIT_CODES = {
    "checksum": 3,
    "drift": 3,
    "staging-changed": 3,
    "verify": 3,
    "heads": 2,
    "dirty-tree": 2,
    "staging-run": 1,
}


def exit_code(findings: list[Finding]) -> int:
    """Return the exit code of the blocking findings (0 when none block)."""
    codes = [EXIT_CODES.get(f.check, 1) for f in findings if f.is_blocking]
    return first_exit_code(codes)


def checksum_findings(chain: list[Revision], accepted: dict[str, dict], current: str | None,
                      environment: str) -> list[Finding]:
    """Report revisions applied to `environment` whose file changed since (Flyway's validate)."""
    applied_ids = _ids_up_to(chain, current)
    findings = []
    for revision in chain:
        entry = accepted.get(revision.id)
        if revision.id not in applied_ids or entry is None:
            continue
        if entry.get("file_checksum") != revision.file_checksum:
            sql_changed = entry.get("sql_checksum") not in (None, revision.sql_checksum)
            findings.append(Finding(
                check="checksum",
                severity=Severity.ERROR,
                message=f"revision {revision.id} was edited after it was applied to "
                f"{environment}" + (" and its SQL changed" if sql_changed else ""),
                location=Location(file=str(revision.path), line=1, object=revision.id),
                help="restore the file as it was applied and put the change in a new revision, "
                f"or re-accept it: nivomigrate repair {environment} --reason \"...\"",
                environment=environment,
            ))
    return findings


def _ids_up_to(chain: list[Revision], current: str | None) -> set[str]:
    ids = [revision.id for revision in chain]
    return set(ids[: ids.index(current) + 1]) if current in ids else set()


def drift_findings(settings: Settings, conn: psycopg.Connection, current: str | None,
                   environment: str, *, allowed: bool = False) -> list[Finding]:
    """Compare a database with the schema its recorded revision should have.

    For a database that baseline adopted at `current` with an adoption revision not run yet,
    that is the schema at `current` plus the adoption revision's SQL.
    """
    from nivomigrate.engine.adoption import expected_snapshot
    from nivomigrate.snapshot import compare, take_snapshot

    actual = take_snapshot(conn)
    difference = compare(expected_snapshot(settings, conn, current), actual)
    difference, leftovers = _without_invalid_indexes(difference, actual)
    findings = [_leftover_finding(key, environment) for key in leftovers]
    if difference.is_empty:
        return findings
    return findings + [Finding(
        check="drift",
        severity=Severity.WARNING if allowed else Severity.ERROR,
        message=f"{environment} differs from the schema of revision {current or 'base'}: "
        + describe(difference, "the revisions", environment),
        location=Location(object=environment),
        help="put the change in a revision (nivomigrate revision -m ...) or undo it; "
        "--allow-drift proceeds anyway and is recorded",
        evidence=tuple(("difference", line)
                       for line in difference_lines(difference, "the revisions", environment)[:20]),
        environment=environment,
    )]


def _without_invalid_indexes(difference, actual) -> tuple:
    """Split off the INVALID indexes only the database has: what an interrupted CREATE INDEX
    CONCURRENTLY leaves behind, never used by queries, rebuilt by the re-run (nivomigrate.ops).
    Verification after the run still catches one that no revision rebuilds."""
    from dataclasses import replace

    leftovers = tuple(key for key in difference.removed if key.startswith("index ")
                      and actual.objects[key].get("valid") is False)
    removed = tuple(key for key in difference.removed if key not in leftovers)
    return replace(difference, removed=removed), leftovers


def _leftover_finding(key: str, environment: str) -> Finding:
    name = key.split(" ", 1)[1]
    quoted = ".".join(f'"{part}"' for part in name.split(".", 1))
    return Finding(
        check="drift",
        severity=Severity.WARNING,
        message=f"{environment} has the INVALID index {name}, left by an interrupted "
        "CREATE INDEX CONCURRENTLY",
        location=Location(object=name),
        help="a revision that builds it with nivomigrate.ops.create_index_concurrently "
        f"rebuilds it; otherwise drop it: DROP INDEX CONCURRENTLY {quoted}",
        environment=environment,
    )


def difference_lines(difference, first: str = "expected", second: str = "actual") -> list[str]:
    """Return one line per differing object, naming the side it is on or what differs."""
    lines = [f"{key} only in {first}" for key in difference.added]
    lines += [f"{key} only in {second}" for key in difference.removed]
    for change in difference.changed:
        details = "; ".join(f"{attribute}: {left!r} vs {right!r}"
                            for attribute, left, right in change.differences[:3])
        lines.append(f"{change.key} differs ({details})")
    return lines


def describe(difference, first: str = "expected", second: str = "actual", limit: int = 5) -> str:
    lines = difference_lines(difference, first, second)
    more = f" and {len(lines) - limit} more" if len(lines) > limit else ""
    return ", ".join(lines[:limit]) + more


def dirty_findings(git: GitState, *, blocking: bool) -> list[Finding]:
    """Report uncommitted revision files: a warning in plan, a refusal in promote."""
    if not git.is_dirty:
        return []
    return [Finding(
        check="dirty-tree",
        severity=Severity.ERROR if blocking else Severity.WARNING,
        message="uncommitted revision files: " + ", ".join(git.dirty_files[:5]),
        location=Location(object="git work tree"),
        help="commit them first, so the ledger names the commit that was promoted "
        "(--allow-dirty overrides)",
    )]


def staging_run_findings(staging: psycopg.Connection, target: str | None,
                         pending: list[Revision], run: Run | None) -> list[Finding]:
    """Check that staging passed `run` at `target`, ran the same SQL, and is unchanged since.

    The revisions are compared with what staging's apply runs executed: a `repair` re-accepts
    an edited file on staging, but only SQL that ran on staging may reach prod.
    """
    from nivomigrate import ledger, migrations
    from nivomigrate.snapshot import take_snapshot

    if run is None:
        last = ledger.last_run(staging)
        failed = last is not None and last.status == "failed" and last.to_revision == target
        return [_staging_run_finding(
            f"staging's last run to revision {target} failed: {last.reason}" if failed
            else f"staging has no passed run at revision {target}",
            "run `nivomigrate apply staging` and fix what it reports",
        )]
    findings = []
    executed = ledger.accepted_checksums(staging, kinds=("apply",))
    for revision in pending:
        entry = executed.get(revision.id)
        if entry is None or entry.get("sql_checksum") != revision.sql_checksum:
            findings.append(_staging_run_finding(
                f"revision {revision.id}{_first_differing_step(entry, revision)} is not the SQL "
                "that ran on staging",
                "restore it as it ran on staging (if it failed on prod, fix prod's data and "
                "re-run), or put the change in a new revision and apply it to staging first",
                Location(file=str(revision.path), line=1, object=revision.id),
            ))
    current = migrations.current_revision(staging)
    fingerprint = take_snapshot(staging).fingerprint
    if current != target or fingerprint != run.fingerprint_after:
        findings.append(Finding(
            check="staging-changed",
            severity=Severity.ERROR,
            message=f"staging changed after its passed run #{run.id} "
            f"({'revision ' + str(current) if current != target else 'its schema differs'})",
            location=Location(object="staging"),
            help="re-run `nivomigrate apply staging` so the promoted schema is the one verified",
            environment="staging",
        ))
    return findings


def _first_differing_step(entry: dict | None, revision: Revision) -> str:
    """Return " step N" for the first step whose checksum differs from staging's, or ""."""
    steps = (entry or {}).get("steps")
    if not steps:
        return ""
    for number, (ran, now) in enumerate(zip(steps, revision.step_checksums, strict=False), 1):
        if ran != now:
            return f" step {number}"
    return f" step {min(len(steps), len(revision.step_checksums)) + 1}"


def _staging_run_finding(message: str, help_text: str,
                         location: Location | None = None) -> Finding:
    return Finding(check="staging-run", severity=Severity.ERROR, message=message,
                   location=location or Location(object="staging"), help=help_text,
                   environment="staging")
