"""Turn a command-line name (an environment or a URL) into a Target."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.db import Target, target_for
from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def is_url(name: str) -> bool:
    """Return whether a command-line name is a direct URL (else an environment's name)."""
    return "://" in name


def resolve_target(settings: Settings | None, name: str) -> Target:
    """Return the target named `name`: a configured environment or a direct URL.

    Raises:
        ConfigError: neither a known environment nor a URL.
    """
    if is_url(name):
        return Target("url", name)
    if settings is None:
        raise ConfigError(f"{name!r} is not a URL and no nivomigrate.toml was found",
                          hint="pass a direct URL, or run from your project")
    return target_for(settings.environment(name))
