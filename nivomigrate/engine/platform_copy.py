"""Which database the shadow server copies the platform's part from, once per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import shadow_platform

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.db import Target
    from nivomigrate.shadow import LocalServer

_copies: dict[str, shadow_platform.PlatformCopy | None] = {}


def platform_template(settings: Settings, server: LocalServer,
                      platform_from: Target | None = None) -> str | None:
    """Return the shadow template holding the platform's part of `platform_from`, or None.

    Without `platform_from`, the first environment with a URL is read; when it cannot be
    reached (or is refused), the shadow builds on plain PostgreSQL (a revision needing the
    platform then fails there, named). None also when the database is plain PostgreSQL.

    Raises:
        DatabaseConnectionError: `platform_from` (given) cannot be reached.
        ConfigError, MigrationError: the platform's part cannot be copied.
    """
    from nivomigrate.errors import DatabaseConnectionError, RefusedConnectionError

    source = platform_from or _default_source(settings)
    if source is None:
        return None
    if source.url not in _copies:
        try:
            _copies[source.url] = shadow_platform.read_copy(source, _extensions(server))
        except (DatabaseConnectionError, RefusedConnectionError):
            if platform_from is not None:
                raise
            _copies[source.url] = None
    copy = _copies[source.url]
    return shadow_platform.ensure_template(server.admin_url, copy) if copy else None


def _default_source(settings: Settings) -> Target | None:
    from nivomigrate.db import target_for

    for environment in settings.environments.values():
        if environment.url:
            return target_for(environment)
    return None


def _extensions(server: LocalServer) -> set[str]:
    from nivomigrate.shadow import admin_connection

    with admin_connection(server.admin_url) as conn:
        return shadow_platform.available_extensions(conn)
