"""The `nivomigrate diff` command: the SQL that turns one schema into another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.diff import DiffResult, diff_schemas
from nivomigrate.engine.targets import resolve_target

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def diff_environments(settings: Settings | None, source: str, target: str) -> DiffResult:
    """Diff two environments or direct URLs; `settings` is None outside a project.

    Raises:
        ConfigError: a name is neither a configured environment nor a URL.
    """
    return diff_schemas(resolve_target(settings, source), resolve_target(settings, target))
