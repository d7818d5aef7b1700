"""non-resumable-revision: a revision whose upgrade() needs the live connection.

Problem: a revision that reads the database (`op.get_bind()`, the context's connection) or
branches on offline mode (`as_sql`) renders offline to something other than what it runs, so
it cannot be cut into steps: it runs as one step through alembic, prod may run other
statements than staging did, and a run interrupted inside it (after an autocommit block) is
not resumed but stops and asks for a hand repair. Do instead: write the statements
themselves (`op.execute`, `op.add_column`, the `nivomigrate.ops` helpers), so each transaction
and each statement outside one is a step that a plain re-run resumes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from pathlib import Path

    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import RevisionSQL

NAME = "non-resumable-revision"


def run(rendered: RevisionSQL, versions_dir: Path) -> list[Finding]:
    """Return a WARNING when the revision needs the live connection (one non-resumable step)."""
    from nivomigrate import migrations

    revision = rendered.revision
    if not migrations.render_sql(versions_dir, revision).is_live:
        return []
    line = next((number for number, text in enumerate(rendered.source, 1)
                 if any(marker in text for marker in migrations.LIVE_MARKERS)), 1)
    return [Finding(
        check=NAME, severity=Severity.WARNING,
        message=f"revision {revision.id} needs the live connection: it runs as one "
        "non-resumable step, and prod may run other statements than staging ran",
        location=Location(file=str(revision.path), line=line, object=revision.id),
        help="write the statements themselves (op.execute, op.add_column, nivomigrate.ops "
        "helpers) instead of reading the database or branching on as_sql",
    )]


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: a revision that needs the live connection."""
    return run(revision, revision.revision.path.parent)
