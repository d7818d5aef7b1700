"""dirty-tree: what is promoted must be committed, so the ledger names the commit.

Problem: a promotion from uncommitted files cannot be traced back or repeated.
Do instead: commit the revision files first (--allow-dirty overrides, and is recorded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from nivomigrate.ledger import GitState

NAME = "dirty-tree"
EXIT_CODE = 2


def findings(git: GitState, *, blocking: bool) -> list[Finding]:
    """Report uncommitted revision files: a warning in plan, a refusal in promote."""
    if not git.is_dirty:
        return []
    return [Finding(
        check=NAME, exit_code=EXIT_CODE,
        severity=Severity.ERROR if blocking else Severity.WARNING,
        message="uncommitted revision files: " + ", ".join(git.dirty_files[:5]),
        location=Location(object="git work tree"),
        help="commit them first, so the ledger names the commit that was promoted "
        "(--allow-dirty overrides)",
    )]
