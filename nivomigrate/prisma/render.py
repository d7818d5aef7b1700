"""Run the pinned Prisma CLI offline: DDL from a datamodel, datamodel diffs, validate, format.

Prisma's native engines cannot be downloaded everywhere nivomigrate runs, so the CLI runs on
its bundled WebAssembly schema engine behind a driver adapter (tools/prisma/prisma.config.ts,
docs/prisma.md). The adapter needs a reachable server, nivomigrate's shadow server; `migrate
diff` between datamodels neither reads nor writes it. Placeholder engine files, never run,
keep the CLI from looking for the native ones.

Each answer is a function of the datamodels' text and of the installed CLI alone, and one call
costs seconds (Node, the CLI, its WebAssembly engine), while one command may ask the same
question several times (`plan` and `prisma check` of one schema.prisma, or `revision
--from-prisma` comparing before and after). With a cache folder (`PrismaCli.cache_dir`), each
successful answer is kept under the hash of its inputs; refusals are never kept. Prisma has no
such cache of its own, hence this one.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nivomigrate.errors import ConfigError

TOOL_DIR = Path("tools") / "prisma"
INSTALL_COMMAND = "npm ci --prefix tools/prisma --ignore-scripts --no-audit --no-fund"
_PLACEHOLDER_URL = "postgresql://placeholder@127.0.0.1:1/placeholder"


@dataclass(frozen=True)
class PrismaCli:
    """The installed CLI, its config file, and the environment it runs with."""

    folder: Path
    adapter_url: str = field(repr=False)
    environ: dict[str, str] = field(default_factory=dict, repr=False)
    # Where answers are kept (see the module's docstring); None: every call runs the CLI.
    cache_dir: Path | None = None

    @property
    def entry_point(self) -> Path:
        return self.folder / "node_modules" / "prisma" / "build" / "index.js"


def find_cli(root: Path, adapter_url: str, environ: dict[str, str],
             folders: tuple[Path, ...] | None = None, cache_dir: Path | None = None
             ) -> PrismaCli:
    """Return the Prisma CLI installed in the first of `folders` that has it: by default
    `root`/tools/prisma, then the one beside nivomigrate's own source; its answers kept in
    `cache_dir` when given.

    Raises:
        ConfigError: it is not installed (exit 2), with the command that installs it.
    """
    own = Path(__file__).resolve().parents[2] / TOOL_DIR
    for folder in folders or (root / TOOL_DIR, own):
        if (folder / "node_modules" / "prisma" / "build" / "index.js").is_file() and \
                (folder / "prisma.config.ts").is_file():
            return PrismaCli(folder, adapter_url, environ, cache_dir)
    raise ConfigError(
        f"the Prisma CLI is not installed in {root / TOOL_DIR}",
        hint=f"install the pinned version (Node 20 and npm): {INSTALL_COMMAND}",
    )


def _run(cli: PrismaCli, arguments: list[str], schema: Path, extra: dict[str, str] | None = None
         ) -> str:
    """Run `prisma <arguments>` and return its stdout.

    Raises:
        ConfigError: Prisma refused (its message, first lines), e.g. an invalid schema.
    """
    from nivomigrate.redaction import redact

    with tempfile.TemporaryDirectory(prefix="nivo-prisma-") as engines:
        library, binary = Path(engines, "libquery_engine.so.node"), Path(engines, "schema-engine")
        library.touch()
        binary.touch()
        environ = {**cli.environ, **(extra or {}),
                   "PRISMA_QUERY_ENGINE_LIBRARY": str(library),
                   "PRISMA_SCHEMA_ENGINE_BINARY": str(binary),
                   "PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING": "1",
                   "PRISMA_HIDE_UPDATE_MESSAGE": "1", "CHECKPOINT_DISABLE": "1",
                   "NIVOMIGRATE_PRISMA_SCHEMA": str(schema),
                   "NIVOMIGRATE_PRISMA_ADAPTER_URL": cli.adapter_url}
        try:
            result = subprocess.run(
                [_node(cli), str(cli.entry_point), *arguments,
                 "--config", str(cli.folder / "prisma.config.ts")],
                capture_output=True, text=True, env=environ, cwd=engines, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"could not run the Prisma CLI: {exc}",
                              hint=f"reinstall it: {INSTALL_COMMAND}") from None
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() + result.stdout.splitlines()
                 if line.strip() and not line.startswith(("Loaded Prisma config",
                                                          "Prisma schema loaded"))]
        raise ConfigError(f"prisma {arguments[0]} failed on {schema}: "
                          + redact(" | ".join(lines[:8])),
                          hint="fix the schema (`prisma validate` names the line)")
    return result.stdout


def _node(cli: PrismaCli) -> str:
    """Return the node executable on the commands' PATH (else this process's).

    Raises:
        ConfigError: Node.js is not installed.
    """
    node = shutil.which("node", path=cli.environ.get("PATH")) or shutil.which("node")
    if node is None:
        raise ConfigError("node is not installed: the Prisma CLI runs on Node.js",
                          hint=f"install Node.js 20, then: {INSTALL_COMMAND}")
    return node


def render_ddl(cli: PrismaCli, schema: Path) -> str:
    """Return the SQL Prisma would run on an empty database for `schema`."""
    return diff_datamodels(cli, None, schema)


def diff_datamodels(cli: PrismaCli, old: Path | None, new: Path) -> str:
    """Return the SQL that turns the schema of datamodel `old` (None: empty) into `new`'s."""
    old, new = (old.resolve() if old else None), new.resolve()
    source = ["--from-empty"] if old is None else ["--from-schema-datamodel", str(old)]
    sql = _cached(cli, ("migrate diff", _content(old), _content(new)),
                  lambda: _run(cli, ["migrate", "diff", *source, "--to-schema-datamodel",
                                     str(new), "--script"], new))
    return "" if sql.strip() == "-- This is an empty migration." else sql


def validate(cli: PrismaCli, schema: Path) -> None:
    """Check `schema` with `prisma validate`.

    Raises:
        ConfigError: it is not valid (Prisma's message).
    """
    schema = schema.resolve()

    def run() -> str:
        _run(cli, ["validate", "--schema", str(schema)], schema, _placeholder_urls(schema))
        return ""  # valid

    _cached(cli, ("validate", _content(schema)), run)


def formatted(cli: PrismaCli, text: str) -> str:
    """Return `text` as `prisma format` lays it out (the file given is not touched)."""
    def run() -> str:
        with tempfile.TemporaryDirectory(prefix="nivo-prisma-format-") as folder:
            copy = Path(folder) / "schema.prisma"
            copy.write_text(text)
            _run(cli, ["format", "--schema", str(copy)], copy, _placeholder_urls(copy))
            return copy.read_text()

    return _cached(cli, ("format", text), run)


def _cached(cli: PrismaCli, question: tuple[str | None, ...], run: Callable[[], str]) -> str:
    """Return the kept answer to `question` (a command and the datamodels' text), else
    `run()`'s, kept when it succeeds. An unreadable or unwritable cache is no cache.

    Raises:
        ConfigError: as `_run`, Node.js or the CLI missing included (checked before a kept
            answer is returned, so a cache never stands in for a missing CLI).
    """
    from nivomigrate import cache

    _node(cli)
    if cli.cache_dir is None or question[-1] is None:
        return run()
    asked = [_cache_key(cli, question)]
    answer = cache.kept(cli.cache_dir, asked)
    if isinstance(answer, str):
        return answer
    answer = run()
    cache.keep(cli.cache_dir, asked, answer)
    return answer


def _content(path: Path | None) -> str | None:
    """The hash of the file's bytes (None: no file, or one that cannot be read, whose
    question then has no answer to keep: Prisma says what is wrong)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path else None
    except OSError:
        return None


def _cache_key(cli: PrismaCli, question: tuple[str | None, ...]) -> str:
    """The hash of `question` and of what answers it: the installed CLI's packages, its
    config file and the Node.js executable."""
    digest = hashlib.sha256(json.dumps(question).encode())
    modules = cli.folder / "node_modules"
    manifests = [modules / "prisma" / "package.json",
                 *sorted((modules / "@prisma").glob("*/package.json"))]
    for path in [*manifests, cli.folder / "prisma.config.ts"]:
        digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
    node = Path(_node(cli)).resolve()
    status = node.stat()
    digest.update(f"{node}:{status.st_size}:{status.st_mtime_ns}".encode())
    return digest.hexdigest()


def _placeholder_urls(schema: Path) -> dict[str, str]:
    """Give each `env("X")` of the schema a placeholder: validate resolves them, and the real
    URLs must not reach Prisma's output."""
    names = set(re.findall(r'env\(\s*"([^"]+)"\s*\)', schema.read_text()))
    return {name: _PLACEHOLDER_URL for name in names}
