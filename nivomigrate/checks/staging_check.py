"""staging-check: the project's own assertions on staging, after its revisions ran.

Problem: a schema can be right and the data wrong (a backfill that missed rows, a smoke test
of the services that fails on the new schema); `promotion.yaml`'s `staging_checks` say what
must hold, as SQL that returns the expected value or a command that exits 0.
Do instead: fix the revision or the data, then apply staging again.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.db import Target

NAME = "staging-check"
_COMMAND_TIMEOUT_S = 600


def findings(conn: psycopg.Connection, target: Target, checks, cwd: Path,
                           environ: dict[str, str]) -> list[Finding]:
    """Run the `staging_checks` of promotion.yaml: SQL assertions, and commands run from `cwd`
    with `environ` (which holds no database URL) plus this environment's URL."""
    findings = []
    for check in checks:
        problem = _run_sql_check(conn, check) if check.sql else _run_command_check(
            target, check, cwd, environ)
        if problem:
            findings.append(Finding(
                check=NAME, severity=Severity.ERROR,
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
