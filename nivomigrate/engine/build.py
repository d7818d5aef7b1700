"""Build the schema a revision describes, in the shadow server, once per set of checksums."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations, shadow
from nivomigrate.db import Target, sqlalchemy_engine

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def shadow_server(settings: Settings, preferred_major: int | None = None,
                  platform_from: Target | None = None) -> shadow.LocalServer:
    """Return the configured shadow server, else nivomigrate's own, with the platform's part
    of `platform_from` (default: the first environment with a URL) copied into it.

    Raises:
        DatabaseConnectionError: `platform_from` (given) cannot be reached.
        ConfigError, MigrationError: the platform's part cannot be copied.
    """
    if settings.shadow_url:
        server = shadow.LocalServer(settings.shadow_url)
    else:
        server = shadow.local_server(settings.shadow_cache_dir, preferred_major)
    from nivomigrate.engine.platform_copy import platform_template

    return replace(server, platform_template=platform_template(settings, server, platform_from))


def ensure_template(admin_url: str, versions_dir: Path, revision: str | None,
                    platform_template: str | None = None) -> str:
    """Return the template database holding the schema at `revision`, building it if needed
    (on the platform's part in `platform_template`, when given).

    Raises:
        MigrationError: a revision fails in the shadow database (named, with the error).
    """
    chain = migrations.revisions(versions_dir)
    upto = migrations.up_to(chain, revision)
    keys = [r.file_checksum for r in upto] + ([platform_template] if platform_template else [])
    name = shadow.template_name(revision, keys)
    if shadow.database_exists(admin_url, name):
        return name
    building = shadow.scratch_name("nivo_build")
    url = shadow.create_database(admin_url, building, platform_template)
    try:
        _build(versions_dir, url, upto)
        _rename(admin_url, building, name)
    except Exception:
        shadow.drop_database(admin_url, building)
        raise
    return name


def _build(versions_dir: Path, url: str, revisions: list[migrations.Revision]) -> None:
    """Upgrade the database at `url` through `revisions`, one at a time, to name a failure."""
    import sqlalchemy

    from nivomigrate.errors import MigrationError
    from nivomigrate.redaction import redact

    engine = sqlalchemy_engine(Target("shadow", url, "the shadow server"), writes=True)
    try:
        with engine.connect() as conn:
            for revision in revisions:
                try:
                    migrations.upgrade(versions_dir, conn, revision.id)
                    conn.commit()
                except sqlalchemy.exc.DBAPIError as exc:
                    reason = str(exc.orig).strip().splitlines()[0]
                    raise MigrationError(
                        f"revision {revision.id} fails in the shadow database: {redact(reason)}",
                        hint=f"fix {revision.path}: the revisions must build from an empty "
                        "database (plus the platform's schemas, docs/supabase.md)",
                    ) from None
    finally:
        engine.dispose()


def _rename(admin_url: str, old: str, new: str) -> None:
    import psycopg
    from psycopg import sql

    with shadow.admin_connection(admin_url) as conn:
        try:
            conn.execute(sql.SQL("alter database {} rename to {}").format(
                sql.Identifier(old), sql.Identifier(new)))
        except psycopg.errors.DuplicateDatabase:
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(old)))


@contextmanager
def schema_at(settings: Settings, revision: str | None,
              server: shadow.LocalServer | None = None,
              extra_sql: str | None = None) -> Iterator[Target]:
    """Yield a scratch database holding the schema at `revision` (plus `extra_sql`).

    The scratch database is dropped afterwards, whatever happens.
    """

    server = server or shadow_server(settings)
    template = ensure_template(server.admin_url, settings.versions_dir, revision,
                               server.platform_template)
    with shadow.scratch_database(server.admin_url, template=template) as url:
        if extra_sql:
            with shadow.admin_connection(url) as conn:
                conn.execute(extra_sql)
        yield Target("shadow", url, "the shadow server")


_snapshots: dict[tuple[str, str], object] = {}


def template_target(settings: Settings, revision: str | None,
                    server: shadow.LocalServer | None = None) -> Target:
    """Return the (read-only use!) template database holding the schema at `revision`."""
    from nivomigrate.db import with_database

    server = server or shadow_server(settings)
    template = ensure_template(server.admin_url, settings.versions_dir, revision,
                               server.platform_template)
    return Target("shadow", with_database(server.admin_url, template), "the shadow server")


def snapshot_at(settings: Settings, revision: str | None,
                server: shadow.LocalServer | None = None):
    """Return the snapshot of the schema at `revision`, read once per template."""
    from nivomigrate.db import connection
    from nivomigrate.snapshot import take_snapshot

    target = template_target(settings, revision, server)
    if target.url not in _snapshots:
        with connection(target, writes=False) as conn:
            _snapshots[target.url] = take_snapshot(conn)
    return _snapshots[target.url]
