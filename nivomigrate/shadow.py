"""The shadow server: scratch databases in which the revisions build the schema they describe.

Like Prisma's shadow database or Atlas's dev database. Configured by URL, or else nivomigrate
starts its own server in a cache folder and reuses it: from the installed PostgreSQL binaries
(preferring a given major version), else pgserver's embedded build. Run as root, the server
runs as an unprivileged user, since PostgreSQL refuses root.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nivomigrate.errors import ConfigError, DatabaseConnectionError

_SERVER_USER = "postgres"


@dataclass(frozen=True)
class LocalServer:
    """A PostgreSQL server this process may create databases on."""

    admin_url: str
    major_version: int | None = None
    origin: str = "configured"
    # The template holding the platform's part copied from a project database
    # (nivomigrate/shadow_platform.py); None on plain PostgreSQL.
    platform_template: str | None = None


def server_binaries(preferred_major: int | None = None) -> Path | None:
    """Return the bin folder of installed PostgreSQL server binaries, newest or preferred."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name), reverse=True)
    for initdb in candidates:
        if preferred_major is None or initdb.parent.parent.name == str(preferred_major):
            return initdb.parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    return candidates[0].parent if candidates else None


def default_cache_dir() -> Path:
    """Return where nivomigrate keeps its own servers (readable by the server's user)."""
    if os.geteuid() == 0:
        return Path("/var/tmp/nivomigrate")
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nivomigrate"


def local_server(cache_dir: Path | None = None, preferred_major: int | None = None) -> LocalServer:
    """Start (or reuse) nivomigrate's own server and return it.

    Raises:
        DatabaseConnectionError: no server could be started.
    """
    cache_dir = cache_dir or default_cache_dir()
    binaries = server_binaries(preferred_major)
    if binaries is None:
        return _pgserver(cache_dir)
    major = int(major_version_of(binaries))
    return _own_server(binaries, cache_dir / f"pg{major}", major)


def major_version_of(binaries: Path) -> str:
    """Return the major version of the server binaries in `binaries` ("15")."""
    out = subprocess.run([binaries / "pg_ctl", "--version"], capture_output=True, text=True)
    return re.search(r"\(PostgreSQL\) (\d+)", out.stdout).group(1)


def _own_server(binaries: Path, data_parent: Path, major: int) -> LocalServer:
    """Start (or reuse) the cached cluster; one that will not start is made anew (it holds
    only scratch databases and templates, which are built again on demand)."""
    data = data_parent / "data"
    port_file = data_parent / "port"
    data_parent.mkdir(parents=True, exist_ok=True)
    user = _server_user()
    _chown(data_parent, user)
    port = int(port_file.read_text()) if port_file.exists() else _free_port()
    status = _as_user(user, [binaries / "pg_ctl", "-D", data, "status"], check=False)
    if status.returncode != 0:
        if not _port_is_free(port):
            port = _free_port()
        try:
            _start(binaries, data_parent, user, port)
        except DatabaseConnectionError:
            shutil.rmtree(data, ignore_errors=True)
            _start(binaries, data_parent, user, port)
        port_file.write_text(str(port))
        _announce(major, port, data_parent)
    return LocalServer(f"postgresql://postgres@127.0.0.1:{port}/postgres", major, str(binaries))


def _announce(major: int, port: int, data_parent: Path) -> None:
    """Say on stderr that a server was started and keeps running (it is reused)."""
    from nivomigrate.progress import Progress

    progress = Progress()
    progress.say(f"started nivomigrate's own shadow server: PostgreSQL {major} on "
                 f"127.0.0.1:{port}, data in {data_parent}")
    progress.say("it keeps running for the next command; `nivomigrate shadow stop` stops it")


@dataclass(frozen=True)
class OwnServerState:
    """nivomigrate's own server as found on disk, without starting it."""

    data_parent: Path
    major_version: int
    port: int | None
    is_running: bool
    size_bytes: int


def own_server_state(cache_dir: Path | None = None,
                     preferred_major: int | None = None) -> OwnServerState | None:
    """Return the state of the own server's cluster, None when none was ever made."""
    binaries = server_binaries(preferred_major)
    if binaries is None:
        return None
    major = int(major_version_of(binaries))
    data_parent = (cache_dir or default_cache_dir()) / f"pg{major}"
    if not (data_parent / "data" / "PG_VERSION").exists():
        return None
    port_file = data_parent / "port"
    status = _as_user(_server_user(), [binaries / "pg_ctl", "-D", data_parent / "data",
                                       "status"], check=False)
    size = sum(_size_of(f) for f in data_parent.rglob("*"))
    return OwnServerState(data_parent, major,
                          int(port_file.read_text()) if port_file.exists() else None,
                          status.returncode == 0, size)


def _size_of(path: Path) -> int:
    """A file's size; 0 for a folder or a file the running server removed meanwhile."""
    try:
        return path.stat().st_size if path.is_file() else 0
    except FileNotFoundError:
        return 0


def stop_own_server(cache_dir: Path | None = None, preferred_major: int | None = None) -> bool:
    """Stop the own server; return whether it was running."""
    state = own_server_state(cache_dir, preferred_major)
    if state is None or not state.is_running:
        return False
    binaries = server_binaries(preferred_major)
    _as_user(_server_user(), [binaries / "pg_ctl", "-D", state.data_parent / "data", "stop",
                              "-m", "fast", "-w"])
    return True


def _start(binaries: Path, data_parent: Path, user, port: int) -> None:
    data = data_parent / "data"
    if not (data / "PG_VERSION").exists():
        _as_user(user, [binaries / "initdb", "-D", data, "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--no-sync"])
    _as_user(user, [
        binaries / "pg_ctl", "-D", data, "-l", data_parent / "server.log", "-w", "-t", "60",
        "-o", f"-p {port} -k {data_parent} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
        "start",
    ])


def _pgserver(cache_dir: Path) -> LocalServer:
    import pgserver

    server = pgserver.get_server(cache_dir / "pgserver", cleanup_mode=None)
    uri = server.get_uri()
    return LocalServer(uri.replace("postgresql://", "postgresql://", 1), None, "pgserver")


def _server_user() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in (_SERVER_USER, "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ConfigError("running as root and no unprivileged user to run PostgreSQL as",
                      hint="create a 'postgres' user or run nivomigrate as a normal user")


def _chown(path: Path, user: pwd.struct_passwd | None) -> None:
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def _as_user(user, command, check: bool = True) -> subprocess.CompletedProcess:
    def demote() -> None:
        if user is not None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            preexec_fn=demote, cwd="/")
    if check and result.returncode != 0:
        raise DatabaseConnectionError(
            f"could not start the shadow server: {result.stderr.strip().splitlines()[-1:]}",
            hint="set NIVOMIGRATE_SHADOW_URL to a PostgreSQL server you may create databases on",
        )
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


# --- scratch databases -----------------------------------------------------------------------

def scratch_name(prefix: str = "nivo_shadow") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def admin_connection(url: str):
    """Open a checked, writable autocommit connection to the shadow server (through `db`).

    Raises:
        DatabaseConnectionError: the shadow server cannot be reached (password hidden).
    """
    from nivomigrate.db import Target, connect

    return connect(Target("shadow", url, "the shadow server (NIVOMIGRATE_SHADOW_URL)"),
                   writes=True)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create database `name` (from `template` when given) and return its URL."""
    from psycopg import sql

    from nivomigrate.db import with_database

    with admin_connection(admin_url) as conn:
        statement = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" template {}").format(sql.Identifier(template))
        conn.execute(statement)
    return with_database(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database `name`, ending its sessions; no error when it does not exist."""
    from psycopg import sql

    with admin_connection(admin_url) as conn:
        statement = sql.SQL("drop database if exists {} with (force)")
        conn.execute(statement.format(sql.Identifier(name)))


def rename_database(admin_url: str, old: str, new: str) -> None:
    """Rename database `old` to `new`; when `new` exists (made meanwhile), drop `old`."""
    import psycopg
    from psycopg import sql

    with admin_connection(admin_url) as conn:
        try:
            conn.execute(sql.SQL("alter database {} rename to {}").format(
                sql.Identifier(old), sql.Identifier(new)))
        except psycopg.errors.DuplicateDatabase:
            conn.execute(sql.SQL("drop database {} with (force)").format(sql.Identifier(old)))


def database_exists(admin_url: str, name: str) -> bool:
    with admin_connection(admin_url) as conn:
        return conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() \
            is not None


@contextmanager
def scratch_database(admin_url: str, template: str | None = None,
                     prefix: str = "nivo_shadow") -> Iterator[str]:
    """Yield the URL of a new database, dropped afterwards whatever happens."""
    name = scratch_name(prefix)
    url = create_database(admin_url, name, template)
    try:
        yield url
    finally:
        drop_database(admin_url, name)


def template_name(revision: str | None, checksums: list[str]) -> str:
    """Name the template database of a revision, keyed on the revisions' checksums."""
    digest = hashlib.sha256("\n".join(checksums).encode()).hexdigest()[:12]
    return f"nivo_tpl_{(revision or 'base')[:20]}_{digest}".lower()


def templates(admin_url: str) -> list[tuple[str, int]]:
    """Return the template databases on the server (name, bytes), largest first."""
    with admin_connection(admin_url) as conn:
        return conn.execute(
            "select datname, pg_database_size(datname) from pg_database "
            "where datname like 'nivo\\_tpl\\_%' order by 2 desc, 1").fetchall()


def drop_unused_database(admin_url: str, name: str) -> bool:
    """Drop database `name` unless a session uses it; return whether it was dropped."""
    import psycopg
    from psycopg import sql

    with admin_connection(admin_url) as conn:
        try:
            conn.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(name)))
        except psycopg.errors.ObjectInUse:
            return False
    return True
