"""staging-check: the project's own assertions on staging, after its revisions ran; none of
them can change staging.

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
                           environ: dict[str, str], *,
                           read_only: Target | None = None) -> list[Finding]:
    """Run the `staging_checks` of promotion.yaml; none of them can change staging.

    SQL assertions run one statement each (prepared: a `COMMIT; DELETE ...` is refused) in a
    READ ONLY transaction that is rolled back, on a session of their own opened read-only
    (default_transaction_read_only = on). Commands run from `cwd` with `environ` (which holds
    no database URL) plus `read_only`'s URL, a read-only role's (`read_only_url_env`); without
    one they get the migration role's URL and a WARNING says so.
    """
    from nivomigrate.db import connection

    findings = []
    sql_checks = [check for check in checks if check.sql]
    commands = [check for check in checks if not check.sql]
    if sql_checks:
        with connection(target, writes=False) as reader:
            findings += [_failed(check, problem, target) for check in sql_checks
                         if (problem := _run_sql_check(reader, check))]
    if commands and read_only is None:
        findings.append(_writable_url_warning(target, [check.name for check in commands]))
    for check in commands:
        problem = _run_command_check(read_only or target, check, cwd, environ)
        if problem:
            findings.append(_failed(check, problem, target))
    return findings


def _failed(check, problem: str, target: Target) -> Finding:
    return Finding(
        check=NAME, severity=Severity.ERROR,
        message=f"staging check {check.name!r} failed: {problem}",
        location=Location(object=check.name), environment=target.name,
        help="fix the revision or the data, then apply staging again",
    )


def _writable_url_warning(target: Target, names: list[str]) -> Finding:
    return Finding(
        check=NAME, severity=Severity.WARNING,
        message=f"staging check command(s) {', '.join(map(repr, names))} ran with the "
        f"migration role's URL of {target.name}, which can write: no read-only URL is "
        "configured",
        location=Location(object=target.name), environment=target.name,
        help=f"create a role with default_transaction_read_only = on and set "
        f"`read_only_url_env` under [environments.{target.name}] to the variable holding its URL",
    )


def _run_sql_check(conn: psycopg.Connection, check) -> str | None:
    """Run one SQL check alone, prepared, in a READ ONLY transaction that is rolled back."""
    import psycopg

    try:
        with conn.transaction(force_rollback=True):
            conn.execute("set transaction read only")
            row = conn.execute(check.sql, prepare=True).fetchone()
    except psycopg.Error as exc:
        if "multiple commands" in str(exc):
            return "it holds several statements; a staging check is one SELECT"
        return _first_line(exc)
    value = row[0] if row else None
    expected = True if check.expect is None else check.expect
    if str(value).lower() != str(expected).lower():
        return f"returned {value!r}, expected {expected!r}"
    return None


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _run_command_check(target: Target, check, cwd: Path, environ: dict[str, str]) -> str | None:
    from nivomigrate.db import libpq_url
    from nivomigrate.redaction import redact

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
