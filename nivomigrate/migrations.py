"""Alembic, driven from code: the project's revisions, their SQL, their checksums.

Alembic never sees a URL: online commands get a connection from `db`, offline rendering a
dialect name. The alembic environment (env.py, script.py.mako) ships in this package; the
revisions live in the project's `versions/`.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    import sqlalchemy
    from alembic.config import Config
    from alembic.script import ScriptDirectory

VERSION_TABLE = "alembic_version"


@dataclass(frozen=True)
class Revision:
    """One revision file: its id, parent, message and checksums."""

    id: str
    down_revision: str | None
    message: str
    path: Path
    file_checksum: str
    sql_checksum: str | None = None

    @property
    def file_name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class RenderedRevision:
    """The SQL that alembic's offline mode renders for one revision."""

    revision: Revision
    sql: str


def alembic_config(versions_dir: Path, **attributes: object) -> Config:
    """Return an alembic Config for `versions_dir`, with `attributes` (e.g. connection)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("nivomigrate") / "alembic"))
    config.set_main_option("version_locations", str(versions_dir).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes.update(attributes)
    return config


_scripts: dict[tuple, ScriptDirectory] = {}
_rendered: dict[tuple, RenderedRevision] = {}


def script_directory(versions_dir: Path) -> ScriptDirectory:
    """Return the alembic ScriptDirectory of the project's revisions, read once per state.

    Raises:
        ConfigError: the folder does not exist.
    """
    from alembic.script import ScriptDirectory

    if not versions_dir.is_dir():
        raise ConfigError(f"revision folder {versions_dir} does not exist",
                          hint="set `versions` in nivomigrate.toml")
    key = (str(versions_dir.resolve()), *sorted(
        (path.name, path.stat().st_mtime_ns, path.stat().st_size)
        for path in versions_dir.glob("*.py")))
    if key not in _scripts:
        _scripts[key] = ScriptDirectory.from_config(alembic_config(versions_dir))
    return _scripts[key]


def head(versions_dir: Path) -> str | None:
    """Return the single head revision, or None when there are no revisions.

    Raises:
        ConfigError: the revisions have several heads.
    """
    heads = script_directory(versions_dir).get_heads()
    if len(heads) > 1:
        raise ConfigError(
            f"the revisions have {len(heads)} heads: {', '.join(sorted(heads))}",
            hint="merge them: set one revision's down_revision to the other, "
            "or run `alembic merge`",
        )
    return heads[0] if heads else None


def revisions(versions_dir: Path) -> list[Revision]:
    """Return every revision from base to head, in order of application."""
    script = script_directory(versions_dir)
    head(versions_dir)
    ordered = list(reversed(list(script.walk_revisions("base", "heads"))))
    return [_revision(script_revision) for script_revision in ordered]


def pending_after(chain: list[Revision], current: str | None) -> list[Revision]:
    """Return the revisions of `chain` (base to head) still to apply after `current`.

    Raises:
        ConfigError: `current` is not in the chain (a revision this checkout does not have).
    """
    ids = [revision.id for revision in chain]
    if current is not None and current not in ids:
        raise ConfigError(
            f"the database is at revision {current}, which the revision folder does not have",
            hint="check out the branch that has that revision",
        )
    return chain[ids.index(current) + 1:] if current is not None else list(chain)


def _revision(script_revision) -> Revision:
    path = Path(script_revision.path)
    down = script_revision.down_revision
    return Revision(
        id=script_revision.revision,
        down_revision=down if isinstance(down, str) or down is None else ",".join(down),
        message=(script_revision.doc or "").strip().splitlines()[0] if script_revision.doc else "",
        path=path,
        file_checksum=hashlib.sha256(path.read_bytes()).hexdigest(),
    )


def render_offline(versions_dir: Path, revision: Revision) -> str:
    """Return one revision's upgrade as alembic's offline mode prints it (no database),
    BEGIN/COMMIT and the version table's statements included; rendered once per file."""
    from alembic import command

    key = (str(revision.path), revision.file_checksum, revision.down_revision)
    if key not in _rendered:
        buffer = io.StringIO()
        config = alembic_config(versions_dir, output_buffer=buffer)
        start = revision.down_revision
        spec = f"{start}:{revision.id}" if start else revision.id
        command.upgrade(config, spec, sql=True)
        _rendered[key] = buffer.getvalue()
    return _rendered[key]


def render_sql(versions_dir: Path, revision: Revision) -> RenderedRevision:
    """Return the revision's upgrade SQL without transaction control and version bookkeeping."""
    return RenderedRevision(revision, _without_bookkeeping(render_offline(versions_dir, revision)))


def up_to(chain: list[Revision], revision: str | None) -> list[Revision]:
    """Return the revisions of `chain` from the first to `revision`; [] for None or unknown."""
    ids = [r.id for r in chain]
    return chain[: ids.index(revision) + 1] if revision in ids else []


def head_of(chain: list[Revision]) -> str | None:
    """Return the last revision of an ordered chain, None when there is none."""
    return chain[-1].id if chain else None


def with_sql_checksums(versions_dir: Path, ordered: list[Revision]) -> list[Revision]:
    """Return the revisions with the checksum of their normalised rendered SQL filled in."""
    from dataclasses import replace

    return [
        replace(revision, sql_checksum=sql_checksum(render_sql(versions_dir, revision).sql))
        for revision in ordered
    ]


def sql_checksum(sql: str) -> str:
    """Hash SQL with comments and whitespace differences removed."""
    text = re.sub(r"--[^\n]*", "", sql)
    text = " ".join(text.split())
    return hashlib.sha256(text.encode()).hexdigest()


def _without_bookkeeping(sql: str) -> str:
    """Drop alembic's version-table statements, transaction control and its comments."""
    kept = []
    for statement in sql.split(";\n"):
        text = "\n".join(line for line in statement.splitlines()
                         if not line.startswith("-- Running upgrade")).strip("\n")
        if VERSION_TABLE in text or text.strip() in {"", "BEGIN", "COMMIT"}:
            continue
        kept.append(text)
    return ";\n".join(kept) + (";\n" if kept else "")


def current_revision(conn) -> str | None:
    """Return the revision a database is at (psycopg connection), None when unversioned."""
    row = conn.execute(
        "select to_regclass('public.alembic_version') is not null"
    ).fetchone()
    if not row[0]:
        return None
    version = conn.execute("select version_num from public.alembic_version").fetchone()
    return version[0] if version else None


def upgrade(versions_dir: Path, connection: sqlalchemy.Connection, revision: str) -> None:
    """Upgrade the database behind `connection` to `revision`, one transaction per revision."""
    from alembic import command

    command.upgrade(alembic_config(versions_dir, connection=connection), revision)


def downgrade(versions_dir: Path, connection: sqlalchemy.Connection, revision: str) -> None:
    """Downgrade the database behind `connection` to `revision` (`base` for empty)."""
    from alembic import command

    command.downgrade(alembic_config(versions_dir, connection=connection), revision)


def stamp(versions_dir: Path, connection: sqlalchemy.Connection, revision: str) -> None:
    """Record `revision` as the database's revision without running it."""
    from alembic import command

    command.stamp(alembic_config(versions_dir, connection=connection), revision)


def next_revision_id(versions_dir: Path) -> str:
    """Return the next sortable revision id: 0001, 0002, ..."""
    numbers = [int(m.group(1)) for path in versions_dir.glob("*.py")
               if (m := re.match(r"(\d{4})_", path.name))]
    return f"{max(numbers, default=0) + 1:04d}"
