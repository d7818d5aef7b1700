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
                    platform_template: str | None = None, *, prune: bool = False) -> str:
    """Return the template database holding the schema at `revision`, building it if needed
    (on the platform's part in `platform_template`, when given), held for this process
    (`shadow.hold_template`): no prune drops it until the process ends.

    With `prune` (nivomigrate's own server), a new template makes the templates go that are
    outside today's chain, held by no process and unused for `PRUNE_IDLE_S` (another
    checkout's templates, edited revisions').

    Raises:
        MigrationError: a revision fails in the shadow database (named, with the error).
    """
    chain = migrations.revisions(versions_dir)
    upto = migrations.up_to(chain, revision)
    role = shadow.login_role(admin_url)
    keys = [r.file_checksum for r in upto] + ([platform_template] if platform_template else [])
    name = shadow.template_name(revision, keys, role)
    if shadow.hold_template(admin_url, name):
        return name
    building = shadow.scratch_name("nivo_build")
    url, todo = _start_build(admin_url, building, upto, platform_template, role)
    try:
        _build(versions_dir, url, todo)
        shadow.rename_database(admin_url, building, name)
    except BaseException:
        shadow.drop_database(admin_url, building)
        raise
    shadow.mark_used(admin_url, name)
    if prune:
        prune_templates(admin_url, versions_dir, platform_template, idle_for_s=PRUNE_IDLE_S)
    return name


def _template_of(upto: list, platform_template: str | None, role: str) -> str:
    """The name of the template holding the revisions `upto` (on the platform's copy), as
    `ensure_template` names it (and `chain_template_names` keeps it)."""
    keys = [r.file_checksum for r in upto] + ([platform_template] if platform_template else [])
    return shadow.template_name(upto[-1].id, keys, role)


def _start_build(admin_url: str, building: str, upto: list, platform_template: str | None,
                 role: str) -> tuple[str, list]:
    """Create database `building` to build `upto` in; return its URL and the revisions left
    to run in it. It is a copy of the template of the longest beginning of `upto` that exists
    (held from now on), else of the platform's copy (or an empty database).

    A template is keyed by the checksums of every revision it holds, so the template of a
    beginning holds exactly what running those revisions from empty gives (each runs in its
    own transaction either way); building on it runs only the revisions after it. One that a
    session is reading (it cannot be copied then) is passed over after a moment.
    """
    import psycopg

    for end in range(len(upto) - 1, 0, -1):
        name = _template_of(upto[:end], platform_template, role)
        if shadow.hold_template(admin_url, name):
            try:
                return shadow.create_database(admin_url, building, name,
                                              busy_wait_s=_BUSY_START_WAIT_S), upto[end:]
            except (psycopg.errors.ObjectInUse, psycopg.errors.InvalidCatalogName):
                break  # read by a session now, or dropped by hand: build from the start
    return shadow.create_database(admin_url, building, platform_template), upto


_BUSY_START_WAIT_S = 2


# A template of another checkout (or of an edited revision) outlives a day without use.
PRUNE_IDLE_S = 24 * 3600


def chain_template_names(versions_dir: Path, platform_template: str | None = None,
                         role: str = "postgres") -> set[str]:
    """Return the names of the templates of every revision of today's chain (and base), on
    the platform's copy when there is one, owned by `role`."""
    chain = migrations.revisions(versions_dir)
    platform = [platform_template] if platform_template else []
    names = {shadow.template_name(None, platform, role)}
    for end in range(1, len(chain) + 1):
        names.add(shadow.template_name(chain[end - 1].id,
                                       [r.file_checksum for r in chain[:end]] + platform, role))
    return names


def prune_templates(admin_url: str, versions_dir: Path, platform_template: str | None = None,
                    idle_for_s: float | None = None) -> list[tuple[str, int]]:
    """Drop this role's templates outside today's chain (or edited since); return them.

    A template some process holds or some session is using is left for the next prune; with
    `idle_for_s`, so is one used less than that many seconds ago.
    """
    keep = chain_template_names(versions_dir, platform_template, shadow.login_role(admin_url))
    return [(name, size) for name, size in shadow.templates(admin_url)
            if name not in keep
            and shadow.drop_template_unless_used(admin_url, name, idle_for_s)]


def _build(versions_dir: Path, url: str, revisions: list[migrations.Revision]) -> None:
    """Upgrade the database at `url` through `revisions`, one at a time, to name a failure."""
    from nivomigrate.errors import MigrationError, NivoError
    from nivomigrate.redaction import redact

    engine = sqlalchemy_engine(Target("shadow", url, "the shadow server"), writes=True)
    try:
        with engine.connect() as conn:
            for revision in revisions:
                try:
                    migrations.upgrade(versions_dir, conn, revision.id)
                    conn.commit()
                except NivoError:
                    raise
                except Exception as exc:  # SQL, or the revision's Python (raised, exited, looped)
                    raise MigrationError(
                        f"revision {revision.id} fails in the shadow database: "
                        f"{redact(_reason(exc))}",
                        hint=f"fix {revision.path}: the revisions must build from an empty "
                        "database (plus the platform's schemas, docs/supabase.md)",
                    ) from None
    finally:
        engine.dispose()


def _reason(exc: Exception) -> str:
    """Return the first line of a build failure: the server's message, else the Python's."""
    import sqlalchemy

    from nivomigrate.revision_code import RevisionCodeError

    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        text = str(exc.orig)
    elif isinstance(exc, RevisionCodeError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return (text.strip().splitlines() or [""])[0]


@contextmanager
def schema_at(settings: Settings, revision: str | None,
              server: shadow.LocalServer | None = None,
              extra_sql: str | None = None) -> Iterator[Target]:
    """Yield a scratch database holding the schema at `revision` (plus `extra_sql`).

    The scratch database is dropped afterwards, whatever happens.
    """
    server = server or shadow_server(settings)
    name = shadow.scratch_name()
    url = _copy_of_template(settings, server, revision, name)
    try:
        if extra_sql:
            with shadow.admin_connection(url) as conn:
                conn.execute(extra_sql)
        yield Target("shadow", url, "the shadow server")
    finally:
        shadow.drop_database(server.admin_url, name)


def _copy_of_template(settings: Settings, server: shadow.LocalServer, revision: str | None,
                      name: str) -> str:
    """Create database `name` from the template of `revision` and return its URL; a template
    dropped by hand between its check and its copy is built again."""
    import psycopg

    for attempt in range(3):
        template = ensure_template(server.admin_url, settings.versions_dir, revision,
                                   server.platform_template,
                                   prune=server.origin != "configured")
        try:
            return shadow.create_database(server.admin_url, name, template)
        except psycopg.errors.InvalidCatalogName:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


_snapshots: dict[str, object] = {}


def template_target(settings: Settings, revision: str | None,
                    server: shadow.LocalServer | None = None) -> Target:
    """Return the (read-only use!) template database holding the schema at `revision`."""
    from nivomigrate.db import with_database

    server, template = _template(settings, revision, server)
    return Target("shadow", with_database(server.admin_url, template), "the shadow server")


def _template(settings: Settings, revision: str | None,
              server: shadow.LocalServer | None) -> tuple[shadow.LocalServer, str]:
    server = server or shadow_server(settings)
    return server, ensure_template(server.admin_url, settings.versions_dir, revision,
                                   server.platform_template,
                                   prune=server.origin != "configured")


def snapshot_at(settings: Settings, revision: str | None,
                server: shadow.LocalServer | None = None):
    """Return the snapshot of the schema at `revision`, read once per template: kept for the
    process, and in the cache folder (`snapshots/`) under the template's name (its content),
    its database's OID and the server's version, so a template is read once."""
    from nivomigrate import cache
    from nivomigrate.db import connection, with_database
    from nivomigrate.snapshot import Snapshot, take_snapshot

    server, name = _template(settings, revision, server)
    target = Target("shadow", with_database(server.admin_url, name), "the shadow server")
    if target.url in _snapshots:
        return _snapshots[target.url]
    folder = settings.shadow_cache_dir / "snapshots" if settings.shadow_cache_dir else None
    question = ["snapshot", name, shadow.database_oid(server.admin_url, name),
                shadow.server_version(server.admin_url)]
    data = cache.kept(folder, question)
    if isinstance(data, dict):
        snapshot = Snapshot.from_json(data)
    else:
        with connection(target, writes=False) as conn:
            snapshot = take_snapshot(conn)
        cache.keep(folder, question, snapshot.to_json())
    _snapshots[target.url] = snapshot
    return snapshot
