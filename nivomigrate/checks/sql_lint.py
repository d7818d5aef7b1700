"""sql-lint: squawk's rules over each revision's rendered SQL, at the policy's severities.

Problem: a statement that is fine on an empty staging table (a plain CREATE INDEX, a column
type change, a NOT NULL added in one step) blocks writes for minutes on production.
Do instead: what each squawk rule's help says; `nivomigrate.ops` has the online forms.
The one importer of squawk: it runs `squawk --reporter json` on the SQL alembic's offline
mode renders, keeping BEGIN/COMMIT so squawk sees the transactions, and maps the rules to
`block` (ERROR), `warn` (WARNING) or `off` (dropped) from `policies/promotion.yaml`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Severity

if TYPE_CHECKING:
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import RevisionSQL
    from nivomigrate.policies.promotion import PromotionPolicy

NAME = "sql-lint"
_SEVERITIES = {"block": Severity.ERROR, "warn": Severity.WARNING}


def squawk_binary() -> str:
    """Return the squawk executable: beside this Python first (the squawk-cli wheel), else PATH.

    Raises:
        ConfigError: squawk is not installed.
    """
    beside = Path(sys.executable).parent / "squawk"
    found = str(beside) if beside.is_file() else shutil.which("squawk")
    if not found:
        raise ConfigError("squawk is not installed", hint="pip install squawk-cli")
    return found


def run(revision: RevisionSQL, policy: PromotionPolicy) -> list[Finding]:
    """Lint one revision's SQL with squawk; return a finding per reported rule not `off`."""
    if not revision.statements:
        return []
    findings = []
    for item in _squawk(revision.text):
        rule = item.get("rule_name", "")
        severity = _SEVERITIES.get(policy.squawk_level(rule))
        if severity is None:
            continue
        statement = next((s for s in revision.statements
                          if s.first_line <= item.get("line", 0) <= s.last_line), None)
        table = next((c.table for c in statement.changes), None) if statement else None
        evidence = [("rule", rule)]
        if statement is not None:
            evidence.append(("statement", statement.sql))
        findings.append(Finding(
            check=NAME,
            severity=severity,
            message=f"{rule}: {item.get('message', '').strip()}",
            location=revision.location(statement, table),
            help=item.get("help") or f"see https://squawkhq.com/docs/{rule}",
            evidence=tuple(evidence),
        ))
    return findings


def _squawk(sql: str) -> list[dict]:
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(sql)
    try:
        completed = subprocess.run(
            [squawk_binary(), "--reporter", "json", "--pg-version", "15", handle.name],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        Path(handle.name).unlink(missing_ok=True)
    try:
        return json.loads(completed.stdout or "[]")
    except json.JSONDecodeError:
        output = (completed.stderr or completed.stdout).strip()[:300]
        raise ConfigError(f"squawk failed: {output}",
                          hint="run squawk on the revision's SQL by hand") from None


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: squawk's findings under the promotion policy's levels."""
    return run(revision, ctx.policy)
