"""heads: the revisions must form one chain with one head.

Problem: two revisions with the same parent (two branches merged without a merge revision)
give no order to apply them in; staging and prod could run them in different orders.
Do instead: `alembic merge` the heads, or re-parent one revision onto the other.
"""

from __future__ import annotations

from nivomigrate.findings import Finding, Location, Severity

NAME = "heads"
EXIT_CODE = 2


def findings(problem: str | None, hint: str | None, versions_dir: str) -> list[Finding]:
    """One ERROR when reading the chain found `problem` (several heads, a cycle, ...)."""
    if problem is None:
        return []
    return [Finding(NAME, Severity.ERROR, problem, Location(file=versions_dir), hint,
                    exit_code=EXIT_CODE)]
