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
    step_checksums: tuple[str, ...] = ()
    # What an earlier nivomigrate recorded for this SQL (normalised, `%` doubled): set only when
    # that rendering was this very text, i.e. the SQL has no `%` (see `ran_as_recorded`).
    legacy_sql_checksum: str | None = None

    @property
    def file_name(self) -> str:
        return self.path.name


STEP_KINDS = ("transaction", "statement", "live")
# A revision that reads the live database (or branches on offline mode) renders offline to
# something else than what it runs: it is one step that alembic runs online, not resumable.
LIVE_MARKERS = ("get_bind(", "as_sql", "is_offline_mode", "get_context().connection",
                "get_context().bind", "migration_context")


@dataclass(frozen=True)
class Step:
    """One step of a revision, numbered from 1.

    `transaction`: a group of statements that commits as a whole (with its ledger row);
    `statement`: one statement of an autocommit block, outside any transaction;
    `live`: the whole upgrade() of a revision that needs the live connection.
    """

    index: int
    kind: str
    statements: tuple[str, ...]
    checksum: str

    @property
    def sql(self) -> str:
        return "".join(statement + ";\n" for statement in self.statements)

    @property
    def is_resumable(self) -> bool:
        return self.kind != "live"


@dataclass(frozen=True)
class RenderedRevision:
    """The SQL that alembic's offline mode renders for one revision, and its steps: the text
    online mode would send (the offline dialect does not double `%`: env.py), which the runner
    executes as it is.

    `sql` keeps the COMMIT/BEGIN markers around the statements of an autocommit block, so
    the checksum covers what runs outside a transaction; a revision without one renders as
    its statements alone.
    """

    revision: Revision
    sql: str
    steps: tuple[Step, ...] = ()

    @property
    def is_live(self) -> bool:
        return any(step.kind == "live" for step in self.steps)

    def steps_text(self) -> str:
        """The SQL as its steps run, each under a numbered header instead of alembic's
        COMMIT/BEGIN pairs (what plan and the HTML report show); one step: the SQL as is."""
        if len(self.steps) < 2:
            return self.sql
        how = {"transaction": "in one transaction", "statement": "outside a transaction",
               "live": "on the live connection"}
        return "\n".join(f"-- step {step.index}: {how.get(step.kind, step.kind)}\n"
                         + "".join(f"{statement};\n" for statement in step.statements)
                         for step in self.steps)


def alembic_config(versions_dir: Path, **attributes: object) -> Config:
    """Return an alembic Config for `versions_dir`, with `attributes` (e.g. connection)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("nivomigrate") / "alembic"))
    config.set_main_option("version_locations", str(versions_dir).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if "target_metadata" not in attributes:  # env.py then reads no models (upgrade, --sql)
        config.attributes["nivomigrate_without_models"] = True
    config.attributes.update(attributes)
    return config


_scripts: dict[tuple, ScriptDirectory] = {}
_rendered: dict[tuple, tuple[str, RenderedRevision]] = {}


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
        script = ScriptDirectory.from_config(alembic_config(versions_dir))
        _load_revisions(script, versions_dir)
        _scripts[key] = script
    return _scripts[key]


def _load_revisions(script: ScriptDirectory, versions_dir: Path) -> None:
    """Import every revision file and check the chain, so that a broken file is a ConfigError
    naming it (exit 2) before any command changes anything.

    Raises:
        ConfigError: a file does not import (syntax or import error, exits or loops when
            imported), is not UTF-8, has no upgrade(), or the down_revisions make a loop or a
            cycle.
    """
    from alembic.script.revision import RevisionError

    from nivomigrate.files import read_text
    from nivomigrate.revision_code import RevisionCodeError, watched

    try:
        with watched("a revision file, imported,"):
            revisions = list(script.revision_map.iterate_revisions(
                script.revision_map.heads, "base", select_for_downgrade=True))
    except RevisionError as exc:
        raise ConfigError(f"the revisions in {versions_dir} do not form a chain: {exc}",
                          hint="fix the down_revision of the revisions it names") from exc
    except RevisionCodeError as exc:
        where = _where(exc.__cause__, versions_dir) or f"in {versions_dir}"
        raise ConfigError(f"{exc} ({where})", hint="a revision file runs only definitions "
                          "when imported; fix it, then re-run") from None
    except Exception as exc:
        raise _unloadable(exc, versions_dir) from exc
    for revision in revisions:
        read_text(Path(revision.path), hint="save the revision file as UTF-8")
        if not callable(getattr(revision.module, "upgrade", None)):
            raise ConfigError(f"revision file {revision.path} has no upgrade() function",
                              hint="define `def upgrade() -> None:` in it")


def _where(exc: BaseException | None, versions_dir: Path) -> str | None:
    """Return the revision file and line (`path:line`) where `exc` was raised, if there."""
    import traceback

    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename}:{exc.lineno}"
    folder = str(versions_dir.resolve())
    frames = [f for f in traceback.extract_tb(exc.__traceback__ if exc else None)
              if str(Path(f.filename).resolve()).startswith(folder)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else None


def _unloadable(exc: Exception, versions_dir: Path) -> ConfigError:
    """Name the revision file (and line) an import failed in."""
    where = _where(exc, versions_dir)
    detail = (str(exc).strip().splitlines() or [""])[0]
    return ConfigError(
        f"revision file {where or 'in ' + str(versions_dir)} does not load: "
        f"{type(exc).__name__}: {detail}",
        hint="fix the file (run `python <file>` to see the error), then re-run",
    )


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


def _render(versions_dir: Path, revision: Revision) -> tuple[str, RenderedRevision]:
    """Render one revision's upgrade with alembic's offline mode (no database), once per file:
    the text as alembic printed it, and the SQL and steps it renders to."""
    key = (str(revision.path), revision.file_checksum, revision.down_revision)
    if key not in _rendered:
        buffer = _StatementBuffer()
        config = alembic_config(versions_dir, output_buffer=buffer)
        start = revision.down_revision
        spec = f"{start}:{revision.id}" if start else revision.id
        _render_watched(config, spec, revision, versions_dir)
        groups = _groups(buffer.statements)
        sql = _rendered_text(groups)
        if _needs_live_connection(revision.path):
            steps = (Step(1, "live", tuple(s for _, g in groups for s in g), sql_checksum(sql)),)
        else:
            steps = _steps(groups)
        _rendered[key] = ("".join(buffer.statements), RenderedRevision(revision, sql, steps))
    return _rendered[key]


def _render_watched(config: Config, spec: str, revision: Revision, versions_dir: Path) -> None:
    """Run alembic's offline upgrade of `spec`; what the revision's Python does wrong (raise,
    exit, loop) is a ConfigError naming it (exit 2: nothing has run anywhere yet)."""
    from nivomigrate.errors import NivoError
    from nivomigrate.revision_code import RevisionCodeError, watched

    try:
        with watched(f"revision {revision.id} ({revision.path.name})"):
            _run_revisions(versions_dir, config, spec, sql=True)
    except RevisionCodeError as exc:
        raise ConfigError(f"{exc} while its SQL was rendered",
                          hint="fix upgrade() in that file, then re-run") from None
    except NivoError:
        raise
    except Exception as exc:
        where = _where(exc, versions_dir) or str(revision.path)
        detail = (str(exc).strip().splitlines() or [""])[0]
        raise ConfigError(f"revision file {where} fails when its SQL is rendered (offline, "
                          f"no database): {type(exc).__name__}: {detail}",
                          hint="fix upgrade() in that file (it must not need a database "
                          "offline), then re-run") from exc


def render_offline(versions_dir: Path, revision: Revision) -> str:
    """Return one revision's upgrade as alembic's offline mode prints it (no database),
    BEGIN/COMMIT and the version table's statements included."""
    return _render(versions_dir, revision)[0]


def render_sql(versions_dir: Path, revision: Revision) -> RenderedRevision:
    """Return one revision's upgrade SQL and steps, rendered once (alembic's offline mode)."""
    cached = _render(versions_dir, revision)[1]
    return RenderedRevision(revision, cached.sql, cached.steps)


def up_to(chain: list[Revision], revision: str | None) -> list[Revision]:
    """Return the revisions of `chain` from the first to `revision`; [] for None or unknown."""
    ids = [r.id for r in chain]
    return chain[: ids.index(revision) + 1] if revision in ids else []


def head_of(chain: list[Revision]) -> str | None:
    """Return the last revision of an ordered chain, None when there is none."""
    return chain[-1].id if chain else None


class _StatementBuffer(io.StringIO):
    """alembic's offline output, one write per statement (`DefaultImpl.static_output`): kept
    as a list, so statements are split where alembic split them, not by parsing SQL."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: list[str] = []

    def write(self, text: str) -> int:
        self.statements.append(text)
        return super().write(text)


def _groups(written: list[str]) -> list[tuple[bool, list[str]]]:
    """Split alembic's statements at its BEGIN/COMMIT markers into (transactional, statements),
    without its version-table statements and comments."""
    groups: list[tuple[bool, list[str]]] = [(False, [])]
    for text in written:
        statement = text.strip().removesuffix(";").strip()
        if statement in ("BEGIN", "COMMIT"):
            groups.append((statement == "BEGIN", []))
        elif statement and not statement.startswith("--") and VERSION_TABLE not in statement:
            groups[-1][1].append(statement)
    return [(transactional, group) for transactional, group in groups if group]


def _steps(groups: list[tuple[bool, list[str]]]) -> tuple[Step, ...]:
    steps: list[Step] = []
    for transactional, statements in groups:
        parts = [statements] if transactional else [[statement] for statement in statements]
        for part in parts:
            kind = "transaction" if transactional else "statement"
            text = "".join(statement + ";\n" for statement in part)
            steps.append(Step(len(steps) + 1, kind, tuple(part),
                              sql_checksum(f"{kind}\n{text}")))
    return tuple(steps)


def _rendered_text(groups: list[tuple[bool, list[str]]]) -> str:
    """The statements, with COMMIT/BEGIN around those outside a transaction when there are
    any (so a revision without an autocommit block renders as before)."""
    has_block = any(not transactional for transactional, _ in groups)
    parts = []
    for transactional, statements in groups:
        body = ";\n".join(statements) + ";\n"
        parts.append(body if transactional or not has_block else f"COMMIT;\n{body}BEGIN;\n")
    return "".join(parts)


def _needs_live_connection(path: Path, function: str = "upgrade") -> bool:
    """Tell whether a revision's `function` reads the live database or branches on offline
    mode: its rendering is then not what it runs (a text search, as no library answers this)."""
    import ast

    source = path.read_text()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    upgrade = next((node for node in tree.body if isinstance(node, ast.FunctionDef)
                    and node.name == function), None)
    text = ast.unparse(upgrade) if upgrade is not None else source
    return any(marker in text for marker in LIVE_MARKERS)


def steps_of(versions_dir: Path, revision: Revision) -> tuple[Step, ...]:
    """Return a revision's steps, as rendered once from alembic's offline mode."""
    return render_sql(versions_dir, revision).steps


def with_sql_checksums(versions_dir: Path, ordered: list[Revision]) -> list[Revision]:
    """Return the revisions with the checksums of their rendered SQL filled in."""
    from dataclasses import replace

    rendered = [render_sql(versions_dir, revision) for revision in ordered]
    return [
        replace(item.revision, sql_checksum=sql_checksum(item.sql),
                step_checksums=tuple(step.checksum for step in item.steps),
                legacy_sql_checksum=None if "%" in item.sql else _legacy_checksum(item.sql))
        for item in rendered
    ]


def sql_checksum(sql: str) -> str:
    """Hash SQL exactly as it runs: every byte counts, comments and whitespace included."""
    return hashlib.sha256(sql.encode()).hexdigest()


def _legacy_checksum(sql: str) -> str:
    """The checksum earlier nivomigrate versions recorded (comments and whitespace dropped,
    even inside literals): computed only to recognise the entries they wrote."""
    text = re.sub(r"--[^\n]*", "", sql)
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def ran_as_recorded(revision: Revision, entry: dict | None) -> bool:
    """Tell whether a ledger entry (`ledger.revision_entries`) recorded this revision's SQL.

    The exact checksum, or one recorded by an earlier nivomigrate for the same file when its
    SQL has no `%`: that rendering then was this very text (it differed only in `%%`).
    """
    if entry is None or entry.get("sql_checksum") is None:
        return False
    if entry["sql_checksum"] == revision.sql_checksum:
        return True
    return (revision.legacy_sql_checksum is not None
            and entry.get("file_checksum") == revision.file_checksum
            and entry["sql_checksum"] == revision.legacy_sql_checksum)


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
    """Upgrade the database behind `connection` to `revision`, one transaction per revision.

    Raises:
        RevisionCodeError: a revision's Python exited or ran too long (`revision_code`).
    """
    from nivomigrate.revision_code import watched

    with watched(f"revision {revision}", connection):
        _run_revisions(versions_dir, alembic_config(versions_dir, connection=connection),
                       revision)


def downgrade(versions_dir: Path, connection: sqlalchemy.Connection, revision: str) -> None:
    """Downgrade the database behind `connection` to `revision` (`base` for empty)."""
    _run_revisions(versions_dir, alembic_config(versions_dir, connection=connection), revision,
                   down=True)


def _run_revisions(versions_dir: Path, config: Config, spec: str, *, down: bool = False,
                   sql: bool = False) -> None:
    """Run alembic's upgrade (or downgrade) to `spec` (`from:to` offline) on the revisions
    loaded by `script_directory` (once per state of the folder), as `alembic.command.upgrade`
    does on a fresh load: while no file changes, what runs is the module that was rendered and
    checksummed in this process, and a command that renders N revisions imports them once,
    not N times (alembic's commands take no ScriptDirectory, hence its
    `_upgrade_revs`/`_downgrade_revs` here)."""
    from alembic.runtime.environment import EnvironmentContext

    script = script_directory(versions_dir)
    start, _, destination = spec.rpartition(":")

    def revisions_to_run(current, context):
        return (script._downgrade_revs(destination, current) if down
                else script._upgrade_revs(destination, current))

    with EnvironmentContext(config, script, fn=revisions_to_run, as_sql=sql,
                            starting_rev=start or None, destination_rev=destination):
        script.run_env()


def stamp(versions_dir: Path, connection: sqlalchemy.Connection, revision: str) -> None:
    """Record `revision` as the database's revision without running it."""
    from alembic import command

    command.stamp(alembic_config(versions_dir, connection=connection), revision)


def next_revision_id(versions_dir: Path) -> str:
    """Return the next sortable revision id: 0001, 0002, ..."""
    numbers = [int(m.group(1)) for path in versions_dir.glob("*.py")
               if (m := re.match(r"(\d{4})_", path.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def render_downgrade(versions_dir: Path, revision: Revision) -> tuple[Step, ...]:
    """Return the steps of `revision`'s downgrade to its parent, rendered by alembic's offline
    mode (one `live` step when the downgrade reads the live database).

    Raises:
        Exception: whatever the revision's downgrade() raises (NotImplementedError, ...).
    """
    buffer = _StatementBuffer()
    config = alembic_config(versions_dir, output_buffer=buffer)
    _run_revisions(versions_dir, config, f"{revision.id}:{revision.down_revision or 'base'}",
                   down=True, sql=True)
    groups = _groups(buffer.statements)
    if _needs_live_connection(revision.path, "downgrade"):
        statements = tuple(s for _, g in groups for s in g)
        return (Step(1, "live", statements, sql_checksum("".join(statements))),)
    return _steps(groups)
