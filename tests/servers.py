"""Throw-away servers for tests: a PgBouncer, a private primary, a standby made from it.

Each helper is a context manager that starts its process on a free port under a folder of the
caller, as the `postgres` user when run as root (PostgreSQL, pg_basebackup and PgBouncer refuse
root), and stops it afterwards even when the test fails. Fixtures built on them live in
`tests/db/conftest.py`; other test folders may use these functions directly.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from nivomigrate import shadow

SERVER_USER = "postgres"


@dataclass(frozen=True)
class RunningServer:
    """A server (or pooler) the test started: where it listens and how to log in."""

    host: str
    port: int
    user: str = "postgres"
    password: str | None = field(default=None, repr=False)
    data_dir: Path | None = None

    def url(self, database: str = "postgres", *, user: str | None = None,
            password: str | None = None) -> str:
        """Return a URL to `database`, with the password percent-encoded."""
        user = user or self.user
        password = self.password if password is None else password
        secret = f":{quote(password, safe='')}" if password else ""
        return f"postgresql://{user}{secret}@{self.host}:{self.port}/{database}"


# --- binaries and ports ------------------------------------------------------------------------

def pgbouncer_binary() -> str | None:
    """Return the path of the pgbouncer binary, `None` when it is not installed."""
    return shutil.which("pgbouncer") or next(
        (str(p) for p in (Path("/usr/sbin/pgbouncer"), Path("/usr/bin/pgbouncer")) if p.exists()),
        None,
    )


def postgres_binaries() -> Path | None:
    """Return the bin folder holding initdb, pg_ctl and pg_basebackup, `None` when absent."""
    binaries = shadow.server_binaries()
    if binaries is None or not (binaries / "pg_basebackup").exists():
        return None
    return binaries


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port nothing listens on at `host` (free when asked)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_port(host: str, port: int, timeout_s: float = 15.0) -> None:
    """Wait until something accepts TCP connections on host:port.

    Raises:
        TimeoutError: nothing accepted within `timeout_s` seconds.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout_s} s")


def _server_user() -> pwd.struct_passwd | None:
    return pwd.getpwnam(SERVER_USER) if os.geteuid() == 0 else None


@contextmanager
def workspace(prefix: str = "nivo-servers-") -> Iterator[Path]:
    """Yield a new temporary folder the server user may enter; remove it afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    os.chmod(path, 0o711)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _own_folder(path: Path) -> Path:
    """Create `path` (mode 0700) owned by the server user, who writes its files and sockets."""
    path.mkdir(parents=True, exist_ok=True)
    user = _server_user()
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)
    os.chmod(path, 0o700)
    return path


def _demote() -> None:
    user = _server_user()
    if user is not None:
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)


def run_as_server_user(command: list, **kwargs) -> subprocess.CompletedProcess:
    """Run a server binary as the server's user (PostgreSQL refuses root); raise on failure."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            preexec_fn=_demote, cwd="/", **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{Path(str(command[0])).name} failed: {result.stderr.strip()}")
    return result


# --- PostgreSQL: a private primary and its standby ---------------------------------------------

@contextmanager
def private_server(workdir: Path, *, password: str | None = None,
                   host: str = "127.0.0.1", options: str = "") -> Iterator[RunningServer]:
    """Run a fresh primary on a free port; stop it afterwards.

    Args:
        password: the password of the `postgres` superuser. Given, TCP logins need it
            (scram-sha-256) while the Unix socket stays trusted; `None` trusts everyone.
        options: more server options, e.g. `-c shared_preload_libraries=pg_stat_statements`.
    """
    binaries = postgres_binaries()
    data = _own_folder(workdir) / "data"
    command = [binaries / "initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "--no-sync",
               "--auth-local=trust", f"--auth-host={'scram-sha-256' if password else 'trust'}"]
    if password:
        pwfile = workdir / "pwfile"
        pwfile.write_text(password + "\n")
        user = _server_user()
        if user is not None:
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        command.append(f"--pwfile={pwfile}")
    run_as_server_user(command)
    server = RunningServer(host, free_port(host), "postgres", password, data)
    with _started(binaries, server, workdir, options):
        yield server


@contextmanager
def standby_of(primary: RunningServer, workdir: Path) -> Iterator[RunningServer]:
    """Run a streaming standby of `primary` (pg_basebackup -R, over its Unix socket)."""
    binaries = postgres_binaries()
    data = _own_folder(workdir) / "data"
    run_as_server_user([binaries / "pg_basebackup", "-h", primary.data_dir.parent,
                        "-p", primary.port, "-U", "postgres", "-D", data, "-R", "-X", "stream",
                        "-c", "fast", "--no-sync"])
    standby = RunningServer(primary.host, free_port(primary.host), primary.user,
                            primary.password, data)
    with _started(binaries, standby, workdir):
        yield standby


@contextmanager
def _started(binaries: Path, server: RunningServer, workdir: Path,
             options: str = "") -> Iterator[None]:
    socket_dir = server.data_dir.parent
    run_as_server_user([binaries / "pg_ctl", "-D", server.data_dir, "-l", workdir / "server.log",
                        "-w", "-t", "30", "-o",
                        f"-p {server.port} -k {socket_dir} -c listen_addresses={server.host} "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                        f"-c max_connections=50 {options}".strip(), "start"])
    try:
        yield
    finally:
        subprocess.run([str(binaries / "pg_ctl"), "-D", str(server.data_dir), "-m", "immediate",
                        "-w", "stop"], capture_output=True, preexec_fn=_demote, cwd="/")


# --- PgBouncer ---------------------------------------------------------------------------------

@contextmanager
def pgbouncer(upstream_url: str, workdir: Path, *, pool_mode: str = "transaction",
              default_pool_size: int | None = None, listen_host: str = "127.0.0.1",
              listen_port: int | None = None,
              ignore_startup_parameters: tuple[str, ...] = ()) -> Iterator[RunningServer]:
    """Run PgBouncer in front of the server of `upstream_url`; stop it afterwards.

    Clients are trusted (`auth_type = trust`); PgBouncer logs in to the server as the user of
    `upstream_url` with its password, for any database name. The yielded server's `url()`
    carries that same user and password.

    Args:
        default_pool_size: server connections per user and database; `None` keeps
            PgBouncer's default (20).
        listen_port: defaults to a free port; may equal the server's port on another host.
        ignore_startup_parameters: parameters PgBouncer accepts and drops (`options`, ...).
    """
    upstream = urlsplit(upstream_url)
    user, password = unquote(upstream.username or "postgres"), unquote(upstream.password or "")
    folder = _own_folder(workdir)
    port = listen_port or free_port(listen_host)
    auth_file = folder / "userlist.txt"
    auth_file.write_text(f'"{_quoted(user)}" "{_quoted(password)}"\n')
    settings = {
        "listen_addr": listen_host,
        "listen_port": port,
        "unix_socket_dir": "",
        "auth_type": "trust",
        "auth_file": auth_file,
        "pool_mode": pool_mode,
        "logfile": folder / "pgbouncer.log",
        "pidfile": folder / "pgbouncer.pid",
        "ignore_startup_parameters": ",".join(ignore_startup_parameters),
    }
    if default_pool_size is not None:
        settings["default_pool_size"] = default_pool_size
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={upstream.hostname or '127.0.0.1'} port={upstream.port or 5432}\n"
        "[pgbouncer]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())
    )
    user_entry = _server_user()
    if user_entry is not None:
        for path in (auth_file, config):
            os.chown(path, user_entry.pw_uid, user_entry.pw_gid)
    # Its log goes to a file: a pipe nobody reads fills after 64 kB of log lines, and then
    # PgBouncer blocks on its next line, holding every client (seen in long workflow tests).
    with open(folder / "pgbouncer.stderr", "wb") as stderr:
        process = subprocess.Popen([pgbouncer_binary(), str(config)], stdout=subprocess.DEVNULL,
                                   stderr=stderr, preexec_fn=_demote, cwd="/")
    try:
        _wait_for_process(process, listen_host, port, folder / "pgbouncer.stderr")
        yield RunningServer(listen_host, port, user, password or None)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _quoted(value: str) -> str:
    return value.replace('"', '""')


def _wait_for_process(process: subprocess.Popen, host: str, port: int, stderr: Path) -> None:
    try:
        wait_for_port(host, port)
    except TimeoutError:
        process.kill()
        process.wait()
        raise RuntimeError(f"pgbouncer did not start: {stderr.read_text()}") from None


def skip_unless(available: object, reason: str) -> None:
    """Skip a test whose tool is missing here; in CI, where every tool is installed, fail."""
    import pytest

    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must install it: see .ci/run)")
    pytest.skip(reason)
