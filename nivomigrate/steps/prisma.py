"""prisma check / write, and the merge gate's Prisma findings: schema.prisma kept at head."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations, shadow
from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.prisma.compare import PrismaComparison


@dataclass(frozen=True)
class PrismaState:
    """schema.prisma compared with the schema at `revision`."""

    path: Path
    revision: str | None
    comparison: PrismaComparison


def schema_path(settings: Settings, path: Path | None) -> Path:
    """Return the schema.prisma to use: `path`, else the configured `prisma_schema`.

    Raises:
        ConfigError: none given or configured, or the file does not exist.
    """
    chosen = path or settings.prisma_schema
    if chosen is None:
        raise ConfigError("no Prisma schema given",
                          hint='pass its path, or set prisma_schema = "..." in nivomigrate.toml')
    if not chosen.is_file():
        raise ConfigError(f"{chosen} does not exist", hint="check the path of schema.prisma")
    return chosen


def compare_prisma(settings: Settings, path: Path, revision: str | None = None,
                   server: shadow.LocalServer | None = None) -> PrismaState:
    """Compare the schema Prisma makes from `path` with the one at `revision` (head)."""
    from nivomigrate.prisma.compare import compare_with_head
    from nivomigrate.prisma.schema import read_schema
    from nivomigrate.steps.build import shadow_server, snapshot_at

    server = server or shadow_server(settings)
    revision = revision or migrations.head(settings.versions_dir)
    prisma_snapshot = snapshot_of_prisma(settings, path, server)
    head_snapshot = snapshot_at(settings, revision, server)
    comparison = compare_with_head(head_snapshot, prisma_snapshot, read_schema(path.read_text()))
    return PrismaState(path, revision, comparison)


def snapshot_of_prisma(settings: Settings, path: Path, server: shadow.LocalServer):
    """Return the snapshot of Prisma's DDL for `path`, loaded into a scratch database."""
    from nivomigrate.db import Target, connection
    from nivomigrate.prisma.render import find_cli, render_ddl
    from nivomigrate.snapshot import take_snapshot

    cli = find_cli(settings.root, server.admin_url, settings.command_environ)
    ddl = render_ddl(cli, path)
    with shadow.scratch_database(server.admin_url, prefix="nivo_prisma") as url:
        with shadow.admin_connection(url) as conn:
            conn.execute(ddl)
        with connection(Target("prisma", url, "the shadow server"), writes=False) as conn:
            return take_snapshot(conn)
