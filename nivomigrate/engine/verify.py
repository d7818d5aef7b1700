"""Verification after apply: the schema equals the expected one, and staging's checks pass."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.db import Target
    from nivomigrate.snapshot import SchemaDiff, Snapshot

_COMMAND_TIMEOUT_S = 600


def schema_findings(actual: Snapshot, expected: Snapshot, environment: str,
                    expected_name: str, *, allowed: SchemaDiff | None = None) -> list[Finding]:
    """Report where `actual` differs from `expected` (check `verify`).

    Args:
        allowed: drift that --allow-drift let through before the run: the objects it names
            are left out of the comparison, and a WARNING records them with the run.
    """
    from nivomigrate.engine.gate import describe, difference_lines
    from nivomigrate.snapshot import compare

    difference = compare(expected, actual)
    findings = []
    if allowed is not None:
        difference = _without(difference, _keys(allowed))
        findings.append(Finding(
            check="drift", severity=Severity.WARNING,
            message=f"allowed drift of {environment} left out of the verification: "
            + describe(allowed, "the revisions", environment),
            location=Location(object=environment), environment=environment,
            help="put the change in a revision or undo it; `nivomigrate plan` keeps "
            "reporting it until then",
        ))
    if difference.is_empty:
        return findings
    return findings + [Finding(
        check="verify", severity=Severity.ERROR,
        message=f"after the run, {environment} differs from {expected_name}: "
        + describe(difference, expected_name, environment),
        location=Location(object=environment),
        help="a revision does something its models/other environments do not; "
        "compare with `nivomigrate diff`",
        evidence=tuple(("difference", line) for line in
                       difference_lines(difference, expected_name, environment)[:20]),
        environment=environment,
    )]


def _keys(difference: SchemaDiff) -> set[str]:
    return {*difference.added, *difference.removed, *(c.key for c in difference.changed)}


def _without(difference: SchemaDiff, keys: set[str]) -> SchemaDiff:
    from dataclasses import replace

    return replace(difference,
                   added=tuple(k for k in difference.added if k not in keys),
                   removed=tuple(k for k in difference.removed if k not in keys),
                   changed=tuple(c for c in difference.changed if c.key not in keys))


def staging_check_findings(conn: psycopg.Connection, target: Target, checks, cwd: Path,
                           environ: dict[str, str]) -> list[Finding]:
    """Run the `staging_checks` of promotion.yaml: SQL assertions, and commands run from `cwd`
    with `environ` (which holds no database URL) plus this environment's URL."""
    findings = []
    for check in checks:
        problem = _run_sql_check(conn, check) if check.sql else _run_command_check(
            target, check, cwd, environ)
        if problem:
            findings.append(Finding(
                check="staging-check", severity=Severity.ERROR,
                message=f"staging check {check.name!r} failed: {problem}",
                location=Location(object=check.name), environment=target.name,
                help="fix the revision or the data, then apply staging again",
            ))
    return findings


def _run_sql_check(conn: psycopg.Connection, check) -> str | None:
    import psycopg

    try:
        with conn.transaction(force_rollback=True):
            row = conn.execute(check.sql).fetchone()
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    value = row[0] if row else None
    expected = True if check.expect is None else check.expect
    if str(value).lower() != str(expected).lower():
        return f"returned {value!r}, expected {expected!r}"
    return None


def _run_command_check(target: Target, check, cwd: Path, environ: dict[str, str]) -> str | None:
    from nivomigrate.db import libpq_url, redact

    url = libpq_url(target)
    env = {**environ, "DATABASE_URL": url, "STAGING_POSTGRES_URL_NON_POOLING": url,
           "NIVOMIGRATE_ENVIRONMENT": target.name}
    try:
        result = subprocess.run(check.command, shell=True, env=env, capture_output=True,
                                text=True, timeout=_COMMAND_TIMEOUT_S, cwd=cwd)
    except subprocess.TimeoutExpired:
        return "timed out"
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [""]
        return redact(f"exit code {result.returncode}: {tail[0]}")
    return None
