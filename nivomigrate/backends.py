"""Which server backend a session runs on: shared backends (a transaction pooler) are found
with a second session, and a run checks it never moves to another backend.

PgBouncer in transaction mode with `ignore_startup_parameters = options` and one client keeps
the same backend pid and `set_config` values from one transaction to the next, so nothing in a
single session tells it apart from a direct connection. A second session does: session A sets a
random marker and stays idle; session B connects. A session-mode pooler or a direct server gives
B its own backend; a transaction pooler gives B the backend A just left, marker and all.
"""

from __future__ import annotations

import secrets
import threading
from typing import TYPE_CHECKING

from nivomigrate.errors import RefusedConnectionError

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.db import Target

_MARKER = "nivomigrate.marker"
_STATE_SQL = f"select pg_backend_pid(), current_setting('{_MARKER}', true)"
# Backends seen unshared in this process: (host, port, database, user).
_unshared: set[tuple] = set()


def current_backend_pid(conn) -> int:
    """Return the backend pid of a psycopg or SQLAlchemy connection (in its transaction)."""
    if hasattr(conn, "exec_driver_sql"):
        return conn.exec_driver_sql("select pg_backend_pid()").scalar()
    return conn.execute("select pg_backend_pid()").fetchone()[0]


class BackendGuard:
    """SQLAlchemy connection events: the first statement of each transaction calls
    `check(dbapi_connection, pid)`."""

    def __init__(self, pid: int, check):
        self.pid = pid
        self.check = check
        self.checked = False

    def listen(self, conn) -> None:
        from sqlalchemy import event

        event.listen(conn, "before_cursor_execute", self._before)
        event.listen(conn, "commit", self._ended)
        event.listen(conn, "rollback", self._ended)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if not self.checked:
            self.checked = True
            self.check(cursor.connection, self.pid)

    def _ended(self, conn) -> None:
        self.checked = False


def check_not_shared(conn: psycopg.Connection, target: Target, params: dict,
                     timeout_s: float) -> int:
    """Return the backend pid of autocommit `conn` after checking no other client shares it.

    Raises:
        RefusedConnectionError: a second session landed on the same backend or saw the first
            session's marker, or the first session moved (a transaction pooler).
    """
    key = (params.get("host"), params.get("port"), params.get("dbname"), params.get("user"))
    marker = secrets.token_hex(8)
    pid = conn.execute(f"select pg_backend_pid(), set_config('{_MARKER}', %s, false)",
                       (marker,)).fetchone()[0]
    if key in _unshared:
        return pid
    other = _second_session(params, min(timeout_s, 5))
    pid_after, marker_after = conn.execute(_STATE_SQL).fetchone()
    shared = pid_after != pid or marker_after != marker
    if other is not None:
        shared = shared or other[0] == pid or other[1] == marker
    if shared:
        raise RefusedConnectionError(
            f"refused {target.source}: another session was given this session's server "
            "backend (a transaction pooler shares backends between clients)",
            hint="use the direct connection (POSTGRES_URL_NON_POOLING, port 5432) or a "
            "session-mode pooler (Supavisor port 5432, PgBouncer pool_mode = session)",
        )
    if other is not None:
        _unshared.add(key)
    return pid


def _second_session(params: dict, timeout_s: float) -> tuple | None:
    """Return (pid, marker) seen by a second session; `None` when the pooler gave it no
    backend within `timeout_s` (a full session pool: not one that shares A's idle backend)."""
    import psycopg

    found: dict = {}

    def run() -> None:
        try:
            with psycopg.connect(**params, autocommit=True) as other:
                found["conn"] = other
                found["row"] = other.execute(_STATE_SQL).fetchone()
        except psycopg.Error as exc:
            found["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        _interrupt(found.get("conn"))
        thread.join(2)
        return None
    return found.get("row")


def _interrupt(conn) -> None:
    """Shut down the socket of a connection stuck waiting for a pooled backend."""
    import os
    import socket

    if conn is None:
        return
    try:
        with socket.socket(fileno=os.dup(conn.pgconn.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


_NETWORK_ERRORS = ("network is unreachable", "no route to host", "timeout expired",
                   "cannot assign requested address", "connection refused")


def ipv6_only_note(hosts: tuple[str, ...], error: str) -> str | None:
    """Return a note when the connection failed on the network and every host resolves to
    IPv6 addresses only (Supabase's direct host without the IPv4 add-on)."""
    import socket

    if not any(text in error.lower() for text in _NETWORK_ERRORS):
        return None
    families = set()
    for host in hosts:
        if host.startswith("/"):
            return None
        try:
            families |= {info[0] for info in socket.getaddrinfo(host, None)}
        except OSError:
            return None
    if families == {socket.AF_INET6}:
        return ("the host has IPv6 addresses only, which an IPv4-only network (GitHub-hosted "
                "runners) cannot reach")
    return None
