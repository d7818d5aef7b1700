"""models-match-revisions: the models and the revisions must describe the same schema.

Problem: a model changed without a revision (or a revision without its model) means the
services' ORM and the database disagree, and the next autogenerate writes a surprise.
Do instead: write a revision for the models' change: nivomigrate revision -m "...".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from nivomigrate.snapshot import SchemaDiff

NAME = "models-match-revisions"


def findings(difference: SchemaDiff, head: str | None) -> list[Finding]:
    """One ERROR per object on which the revisions at `head` and the models differ."""
    return [
        Finding(NAME, Severity.ERROR, f"the models and revision {head} disagree: {text}",
                Location(object=key),
                "write a revision for the models' change: nivomigrate revision -m \"...\"")
        for key, text in difference.entries("the revisions", "the models")
    ]
