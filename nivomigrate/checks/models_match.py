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


# What SQLAlchemy's table classes declare (and autogenerate writes); every other kind (views,
# functions, triggers, policies, grants, ...) is declared beside them with register_entities.
_TABLE_KINDS = frozenset({"table", "column", "index", "constraint", "sequence", "type",
                          "enum", "default"})
_ONLY_IN_REVISIONS_HELP = (
    "declare it beside the models (register_entities in the models package, see "
    "docs/objects.md), or drop it in a revision")


def _only_in_revisions_help(key: str) -> str:
    """The fix of an object the revisions make and the models lack, by its kind."""
    kind, _, name = key.partition(" ")
    if kind not in _TABLE_KINDS:
        return _ONLY_IN_REVISIONS_HELP
    return (f'if the models are right: nivomigrate revision -m "drop {name}" writes the '
            f"revision that drops it; if the revisions are right: add the {kind} to its "
            "table's class in the models")
_REVISION_HELP = ("write a revision for the models' change: nivomigrate revision -m \"...\"; "
                  "or, if the revisions are right, declare it so beside the models")


def findings(difference: SchemaDiff, head: str | None) -> list[Finding]:
    """One ERROR per object on which the revisions at `head` and the models differ."""
    return [
        Finding(NAME, Severity.ERROR, f"the models and revision {head} disagree: {text}",
                Location(object=key),
                _only_in_revisions_help(key) if text.endswith(" only in the revisions")
                else _REVISION_HELP)
        for key, text in difference.entries("the revisions", "the models")
    ]


def creation_findings(failures: list[tuple[str, str]]) -> list[Finding]:
    """One ERROR per object the models declare that cannot be created: (identity, error)."""
    return [Finding(NAME, Severity.ERROR, f"the models' {identity} cannot be created: {reason}",
                    Location(object=identity), "declare what it needs, or fix its declaration")
            for identity, reason in failures]
