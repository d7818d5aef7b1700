"""The shadow server: scratch databases in which the revisions build the schema they describe.

Like Prisma's shadow database or Atlas's dev database. Configured by URL, or else nivomigrate
starts its own server in a cache folder and reuses it: from the installed PostgreSQL binaries
(preferring a given major version), else pgserver's embedded build. Run as root, the server
runs as an unprivileged user, since PostgreSQL refuses root.

Any number of processes and checkouts may share one server. Starting the own server is
serialised by a file lock in its folder. Template databases are named by their content (and
the role that owns them), and a process using one holds a shared advisory lock on its name
until it exits (`hold_template`); pruning takes the exclusive lock without waiting and skips
what it cannot take, so it never drops a template between another process's "exists" and its
"create from it". A lock, not an age, decides what may go: a lock cannot expire under a slow
command, and a killed process's lock goes with its session. An age only decides what the
automatic prune after a build bothers to drop (`engine/build.py`): another checkout's templates
survive until unused for a day, so two checkouts do not rebuild each other's all day.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import pwd
import re
import shutil
import socket
import subprocess
import time
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


def default_cache_dir(xdg_cache_home: str | None = None, home: Path | None = None) -> Path:
    """Return where nivomigrate keeps its own servers when nothing says otherwise:
    `$XDG_CACHE_HOME/nivomigrate` when given, else `~/.cache/nivomigrate`, or as root
    `/var/tmp/nivomigrate` (the server's user cannot enter root's home)."""
    if xdg_cache_home:
        return Path(xdg_cache_home) / "nivomigrate"
    if os.geteuid() == 0:
        return Path("/var/tmp/nivomigrate")
    return (home or Path.home()) / ".cache" / "nivomigrate"


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
    only scratch databases and templates, which are built again on demand).

    Processes starting it at once take turns on a lock file: the first starts it, the others
    find it running."""
    data = data_parent / "data"
    port_file = data_parent / "port"
    user = _server_user()
    _make_folder(data_parent, user)
    with _start_lock(data_parent):
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


@contextmanager
def _start_lock(data_parent: Path) -> Iterator[None]:
    """Hold the folder's start lock (an flock, released when this process ends)."""
    with open(data_parent / "start.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make_folder(data_parent: Path, user: pwd.struct_passwd | None) -> None:
    """Create the server's folder, owned by the server's user, who must reach it.

    Raises:
        ConfigError: the folder cannot be made, or the server's user cannot enter it.
    """
    try:
        data_parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the shadow server's folder {data_parent}: "
                          f"{exc.strerror}", hint=_CACHE_HINT) from None
    _chown(data_parent, user)
    if user is not None:
        for folder in data_parent.parents:
            info = folder.stat()
            if info.st_uid != user.pw_uid and not info.st_mode & 0o001:
                raise ConfigError(
                    f"the shadow server's folder {data_parent} is under {folder}, which the "
                    f"server's user {user.pw_name} cannot enter", hint=_CACHE_HINT)


_CACHE_HINT = ("set NIVOMIGRATE_CACHE_DIR (or XDG_CACHE_HOME) to a folder the server's user "
               "may reach, e.g. /var/tmp/nivomigrate, or set NIVOMIGRATE_SHADOW_URL")


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
    with _start_lock(data_parent):  # a server being started is read once it has its port
        status = _as_user(_server_user(), [binaries / "pg_ctl", "-D", data_parent / "data",
                                           "status"], check=False)
        port = int(port_file.read_text()) if port_file.exists() else None
    return OwnServerState(data_parent, major, port, status.returncode == 0 and port is not None,
                          _folder_size(data_parent))


def _folder_size(folder: Path) -> int:
    """Return the bytes of the files under `folder`; a file that goes meanwhile (a database
    another process drops) counts nothing."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue
    return total


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


def create_database(admin_url: str, name: str, template: str | None = None,
                    busy_wait_s: float | None = None) -> str:
    """Create database `name` (from `template` when given) and return its URL.

    A template another session is reading (PostgreSQL refuses to copy it then) is waited for,
    up to a minute (or `busy_wait_s`).
    """
    import psycopg
    from psycopg import sql

    from nivomigrate.db import with_database

    statement = sql.SQL("create database {}").format(sql.Identifier(name))
    if template:
        statement += sql.SQL(" template {}").format(sql.Identifier(template))
    deadline = time.monotonic() + (_TEMPLATE_BUSY_WAIT_S if busy_wait_s is None else busy_wait_s)
    with admin_connection(admin_url) as conn:
        while True:
            try:
                conn.execute(statement)
                break
            except psycopg.errors.ObjectInUse:
                if not template or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
    return with_database(admin_url, name)


_TEMPLATE_BUSY_WAIT_S = 60


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


def template_name(revision: str | None, checksums: list[str], role: str = "") -> str:
    """Name the template database of a revision, keyed on the revisions' checksums and on the
    role that owns it (a role may copy only its own databases)."""
    digest = hashlib.sha256("\n".join([*checksums, f"role:{role}"]).encode()).hexdigest()[:12]
    return f"nivo_tpl_{(revision or 'base')[:20]}_{digest}".lower()


def login_role(admin_url: str) -> str:
    """Return the role `admin_url` logs in as (asked once per URL)."""
    if admin_url not in _roles:
        _roles[admin_url] = _holder(admin_url).execute("select current_user").fetchone()[0]
    return _roles[admin_url]


_roles: dict[str, str] = {}


def server_version(admin_url: str) -> int:
    """Return the server's version number, `server_version_num` (asked once per URL)."""
    if admin_url not in _versions:
        _versions[admin_url] = int(_holder(admin_url).execute(
            "select current_setting('server_version_num')").fetchone()[0])
    return _versions[admin_url]


_versions: dict[str, int] = {}


def database_oid(admin_url: str, name: str) -> int | None:
    """Return the OID of database `name` on the server (None when there is none)."""
    row = _holder(admin_url).execute("select oid from pg_database where datname = %s",
                                     (name,)).fetchone()
    return int(row[0]) if row else None


# --- templates in use ------------------------------------------------------------------------
# Advisory locks (class, key): the class keeps them apart from any other advisory lock.
_LOCK_CLASS = 0x6E69766F  # "nivo"
_holders: dict[str, object] = {}  # admin URL -> the session holding this process's locks
_held: set[tuple[str, str]] = set()


def hold_template(admin_url: str, name: str) -> bool:
    """Mark template `name` as used by this process until it exits (or `release_templates`);
    return whether it exists (one that does gets its time of use, once per process).

    A shared advisory lock on a session kept open: pruning skips what it cannot lock. Waits
    while a prune holds the name (then the template is gone, and the caller builds it).
    """
    holder = _holder(admin_url)
    is_new = (admin_url, name) not in _held
    if is_new:
        holder.execute("select pg_advisory_lock_shared(%s, %s)", (_LOCK_CLASS, _lock_key(name)))
        _held.add((admin_url, name))
    exists = holder.execute("select 1 from pg_database where datname = %s",
                            (name,)).fetchone() is not None
    if exists and is_new:
        mark_used(admin_url, name)
    return exists


def _holder(admin_url: str):
    """Return this process's kept session on the server of `admin_url` (anew when lost)."""
    holder = _holders.get(admin_url)
    if holder is None or holder.closed or holder.broken:
        holder = _holders[admin_url] = admin_connection(admin_url)
        holder.execute("set lock_timeout = '120s'")
        _held.difference_update({held for held in _held if held[0] == admin_url})
    return holder


def release_templates() -> None:
    """Let go of every template this process holds (closing the holding sessions)."""
    for holder in _holders.values():
        holder.close()
    _holders.clear()
    _held.clear()


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big", signed=True)


def mark_used(admin_url: str, name: str) -> None:
    """Write the time of use into the template's comment (best effort: a prune by age reads
    it)."""
    import psycopg
    from psycopg import sql

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    try:
        _holder(admin_url).execute(sql.SQL("comment on database {} is {}").format(
            sql.Identifier(name), sql.Literal(f"{_USED_PREFIX}{stamp}")))
    except psycopg.Error:  # dropped meanwhile, or another process wrote it at once
        pass


_USED_PREFIX = "nivomigrate template, last used "


def drop_template_unless_used(admin_url: str, name: str,
                              idle_for_s: float | None = None) -> bool:
    """Drop template `name` unless a process holds it, a session is connected to it, or (with
    `idle_for_s`) it was used less than that many seconds ago; return whether it was dropped.
    """
    import psycopg
    from psycopg import sql

    key = (_LOCK_CLASS, _lock_key(name))
    with admin_connection(admin_url) as conn:
        if not conn.execute("select pg_try_advisory_lock(%s, %s)", key).fetchone()[0]:
            return False
        try:
            if idle_for_s is not None and _idle_seconds(conn, name) < idle_for_s:
                return False
            conn.execute(sql.SQL("drop database if exists {}").format(sql.Identifier(name)))
        except psycopg.errors.ObjectInUse:
            return False
        finally:
            conn.execute("select pg_advisory_unlock(%s, %s)", key)
    return True


def _idle_seconds(conn, name: str) -> float:
    """Return how long ago template `name` was last used (infinite when never recorded)."""
    row = conn.execute("select shobj_description(oid, 'pg_database') from pg_database "
                       "where datname = %s", (name,)).fetchone()
    comment = (row[0] or "") if row else ""
    if not comment.startswith(_USED_PREFIX):
        return float("inf")
    try:
        used = time.strptime(comment[len(_USED_PREFIX):], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return float("inf")
    import calendar

    return time.time() - calendar.timegm(used)


def templates(admin_url: str) -> list[tuple[str, int]]:
    """Return this role's template databases on the server (name, bytes), largest first."""
    with admin_connection(admin_url) as conn:
        return conn.execute(
            "select datname, pg_database_size(datname) from pg_database "
            "where datname like 'nivo\\_tpl\\_%' "
            "and datdba = (select oid from pg_roles where rolname = current_user) "
            "order by 2 desc, 1").fetchall()
