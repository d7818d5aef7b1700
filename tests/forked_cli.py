"""Run `nivomigrate` as a process of its own, forked from one that imported its libraries once.

A short command spends most of its CPU importing alembic, SQLAlchemy and psycopg (about 0.5 of
0.8 CPU-seconds), then nivomigrate's own modules (0.3 s more), and the suite starts about 600
of them. Each run here is still a process of its own: its own pid, working directory,
environment, file descriptors and exit code, killed by a signal like any other, with the
command line (typer, which reads the environment when imported), gitpython and the project's
models and revisions imported fresh in it. What it shares is the modules already in memory:
the third-party ones below and nivomigrate's own, none of which reads the environment, a file
or the working directory when imported (nivomigrate/config.py is where settings are read) and
all of which are unused when the server forks, so a run finds their caches empty as a new
process does.

Every test worker starts two such servers, each with its own hash seed, and runs alternate
between them: two runs compared with each other never share a set or dict iteration order,
as two real processes would not.

Usage: `run("plan", "all", cwd=project, env=environ)` -> `subprocess.CompletedProcess` (text),
`start(...)` -> a `Process` used as `subprocess.Popen` is.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from itertools import cycle
from pathlib import Path

# Third-party modules every command imports; none reads the environment when imported.
# (typer and gitpython do: those are imported in each run, as in a fresh process.)
PREIMPORTED = ("alembic.script", "alembic.runtime.environment", "alembic.runtime.migration",
               "alembic.autogenerate", "alembic.operations", "sqlalchemy", "sqlalchemy.orm",
               "sqlalchemy.dialects.postgresql", "psycopg", "sqlglot", "sqlglot.dialects.postgres",
               "sqlparse", "sqlparse.engine", "dotenv", "rich.console", "rich.table",
               "rich.text", "yaml", "mako.template", "alembic_utils.pg_function")
SERVERS = 2


# ---- the server: one per worker and seed, forking a child per run ------------------------------

def _import_nivomigrate() -> None:
    """Import every module of nivomigrate but its command line (`cli`, `__main__`), and check
    that none of them brought in a module that must be imported fresh in each run."""
    import pkgutil

    import nivomigrate

    for module in pkgutil.walk_packages(nivomigrate.__path__, "nivomigrate."):
        if module.name not in ("nivomigrate.cli", "nivomigrate.__main__"):
            __import__(module.name)
    fresh = [name for name in sys.modules if name.split(".")[0] in ("typer", "click", "git")]
    assert not fresh, f"imported by nivomigrate's modules, but read the environment: {fresh}"


def _serve(path: str) -> dict | None:
    """Accept runs until the parent goes; return a run's request in the forked child."""
    for name in PREIMPORTED:
        __import__(name)
    _import_nivomigrate()
    gc.freeze()  # the collector leaves these objects alone: a child does not copy their pages
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(f"{path}.new")
    listener.listen(64)
    os.rename(f"{path}.new", path)  # the path appears only once it accepts connections
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    while os.getppid() == parent:
        for key, _ in selector.select(timeout=1.0):
            if key.fileobj is listener:
                connection, _ = listener.accept()
                request, fds = _receive(connection)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    for registered in list(selector.get_map().values()):
                        _close(registered.fileobj)
                        if registered.data:
                            registered.data[1].close()
                    selector.close()
                    return _become(request, fds, connection)
                for fd in fds:
                    os.close(fd)
                _send(connection, pid)
                selector.register(os.pidfd_open(pid), selectors.EVENT_READ, (pid, connection))
            else:
                pid, connection = key.data
                selector.unregister(key.fd)
                os.close(key.fd)
                _, status = os.waitpid(pid, 0)
                _send(connection, os.waitstatus_to_exitcode(status))
                connection.close()
    return None


def _receive(connection: socket.socket) -> tuple[dict, list[int]]:
    header, fds, _, _ = socket.recv_fds(connection, 32, 3)
    size = int(header)
    body = b""
    while len(body) < size:
        body += connection.recv(size - len(body))
    return json.loads(body), fds


def _send(connection: socket.socket, value: int) -> None:
    try:
        connection.sendall(f"{value}\n".encode())
    except OSError:  # the test that asked has gone
        pass


def _close(thing) -> None:
    if isinstance(thing, int):
        os.close(thing)
    else:
        thing.close()


def _become(request: dict, fds: list[int], connection: socket.socket) -> dict:
    """Turn this forked child into `python -m nivomigrate ARGS` run where the request says."""
    connection.close()
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    # as `python -m` puts the working directory first, `python SCRIPT` the script's folder
    script = request.get("script")
    sys.path[0] = os.path.dirname(os.path.abspath(script)) if script else os.getcwd()
    encoding = os.environ.get("PYTHONIOENCODING", "utf-8").split(":")[0] or "utf-8"
    unbuffered = bool(os.environ.get("PYTHONUNBUFFERED"))
    sys.stdin = sys.__stdin__ = open(0, encoding=encoding, closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding=encoding, closefd=False,
                                       buffering=1 if unbuffered else -1)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding=encoding, errors="backslashreplace",
                                       closefd=False, buffering=1)
    sys.argv = [script or "nivomigrate", *request["args"]]
    return request


# ---- the client: what tests call ------------------------------------------------------------

class _Servers:
    """This worker's servers, started on first use and ended with the worker."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="nivo-forked-cli-")
        self.processes: list[subprocess.Popen] = []
        self.paths = [os.path.join(self.folder, f"{n}.sock") for n in range(SERVERS)]
        for path in self.paths:
            environ = {**os.environ, "PYTHONHASHSEED": "random"}
            self.processes.append(subprocess.Popen(
                [sys.executable, __file__, path], env=environ, stdin=subprocess.DEVNULL))
        self.turns = cycle(range(SERVERS))
        self.lock = threading.Lock()
        atexit.register(self.stop)

    def connect(self) -> socket.socket:
        with self.lock:
            turn = next(self.turns)
        path, process = self.paths[turn], self.processes[turn]
        while not os.path.exists(path):
            if process.poll() is not None:
                raise RuntimeError(f"the forked-CLI server exited with {process.returncode}")
            threading.Event().wait(0.02)
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(path)
        return connection

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        for path in self.paths:
            Path(path).unlink(missing_ok=True)
        os.rmdir(self.folder)


_servers: _Servers | None = None
_start_lock = threading.Lock()


def _get_servers() -> _Servers:
    global _servers
    with _start_lock:
        if _servers is None:
            _servers = _Servers()
        return _servers


class Process:
    """A forked `nivomigrate` run, used as a `subprocess.Popen` with text output is."""

    def __init__(self, args: tuple[str, ...], cwd, env: dict[str, str] | None,
                 input: str | None = None, script: str | None = None) -> None:
        self.args = [sys.executable, *([script] if script else ["-m", "nivomigrate"]), *args]
        self.returncode: int | None = None
        self._files = [tempfile.TemporaryFile() for _ in range(3)]  # stdin, stdout, stderr
        if input is not None:
            self._files[0].write(input.encode())
            self._files[0].seek(0)
        request = json.dumps({"args": list(args), "cwd": str(cwd), "script": script,
                              "env": dict(os.environ if env is None else env)}).encode()
        self._connection = _get_servers().connect()
        socket.send_fds(self._connection, [f"{len(request):<32}".encode()],
                        [file.fileno() for file in self._files])
        self._connection.sendall(request)
        self._received = b""
        self.pid = int(self._line(None))

    def _line(self, timeout: float | None) -> bytes | None:
        """The server's next line (a pid, then an exit code); None when `timeout` passes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._received:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._connection], [], [], left)[0]:
                return None
            chunk = self._connection.recv(64)
            if not chunk:
                raise RuntimeError("the forked-CLI server ended before the run did")
            self._received += chunk
        line, self._received = self._received.split(b"\n", 1)
        return line

    def poll(self) -> int | None:
        return self.wait(0) if self.returncode is None else self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        if self.returncode is None:
            line = self._line(timeout)
            if line is None:
                if timeout:
                    raise subprocess.TimeoutExpired(self.args, timeout)
                return None
            self.returncode = int(line)
            self._connection.close()
        return self.returncode

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Wait for the run and return its stdout and stderr, as `Popen.communicate` does."""
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired as timed_out:
            timed_out.output, timed_out.stderr = self._output()
            raise
        stdout, stderr = self._output()
        for file in self._files:
            file.close()
        return stdout, stderr

    def _output(self) -> tuple[str, str]:
        return _read(self._files[1]), _read(self._files[2])

    def send_signal(self, number: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, number)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def start(*args: str, cwd, env: dict[str, str] | None = None,
          script: str | os.PathLike | None = None) -> Process:
    """Start `python -m nivomigrate ARGS` (or `python SCRIPT ARGS`) in the background, as
    `subprocess.Popen` would."""
    return Process(args, cwd, env, script=str(script) if script else None)


def run(*args: str, cwd, env: dict[str, str] | None = None, input: str | None = None,
        timeout: float | None = None) -> subprocess.CompletedProcess:
    """`subprocess.run([python, "-m", "nivomigrate", *args], capture_output=True, text=True)`."""
    process = Process(args, cwd, env, input)
    try:
        stdout, stderr = process.communicate(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _read(file) -> str:
    file.seek(0)
    return file.read().decode()


def _run_cli(request: dict, profiles: str | None) -> None:
    """Run the CLI as `python -m nivomigrate` (or `python SCRIPT`) does; with NIVO_PROFILE_DIR
    set in the tests' environment, each run leaves its cProfile stats there (`pstats` adds
    them up)."""
    import runpy

    script = request.get("script")
    if script:
        def main() -> None:
            runpy.run_path(script, run_name="__main__")
    else:
        def main() -> None:
            runpy.run_module("nivomigrate", run_name="__main__", alter_sys=True)
    if not profiles:
        main()
        return
    import cProfile

    profile = cProfile.Profile()
    try:
        profile.runcall(main)
    finally:
        profile.dump_stats(os.path.join(profiles, f"{os.getpid()}.prof"))


if __name__ == "__main__":
    profiles = os.environ.get("NIVO_PROFILE_DIR")
    request = _serve(sys.argv[1])
    if request is not None:
        _run_cli(request, profiles)
