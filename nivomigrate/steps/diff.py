"""The `nivomigrate diff` command: the SQL that turns one schema into another."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.diff import DiffResult, diff_schemas
from nivomigrate.engine.targets import is_url, resolve_target
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def names_an_environment(*names: str) -> bool:
    """Return whether a name is an environment's, not a URL: only then is the project's
    configuration needed (two URLs are diffed without reading it)."""
    return not all(is_url(name) for name in names)


def diff_environments(settings: Settings | None, source: str, target: str) -> DiffResult:
    """Diff two environments or direct URLs; `settings` is None outside a project.

    Raises:
        ConfigError: a name is neither a configured environment nor a URL.
    """
    return diff_schemas(resolve_target(settings, source), resolve_target(settings, target))


def diff_report(result: DiffResult, source: str, target: str) -> Report:
    """Return `diff --format json`'s report: the objects that differ and the SQL; its exit
    code is 1 when they differ."""
    equal = not result.sql.strip()
    return Report(
        command="diff", title=f"diff {source} → {target}",
        sections=(Section("SQL", text=result.sql or "-- equal", language="sql"),),
        data={"source": source, "target": target, "equal": equal,
              **result.snapshot_diff.keys(), "sql": result.sql},
        exit_code=0 if equal else 1,
    )
