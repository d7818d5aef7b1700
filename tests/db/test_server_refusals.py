"""Server-level refusals on real servers: PgBouncer, a standby, read-only sessions, bad logins.

A URL that passes `check_url` can still reach something other than a direct, writable primary;
`connect` must find out after connecting and refuse (exit code 2), or fail to connect (4),
never printing the password.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from nivomigrate.db import SessionSettings, Target, connect
from nivomigrate.errors import DatabaseConnectionError, RefusedConnectionError
from tests import servers
from tests.conftest import CANARY_PASSWORD

SOURCE = "STAGING_POSTGRES_URL_NON_POOLING from the environment"
WRONG_PASSWORD = "wrong%@/:guess"


def _assert_no_password(error: Exception, *passwords: str) -> None:
    texts = [str(error), getattr(error, "hint", None) or ""]
    for password in (CANARY_PASSWORD, *passwords):
        for text in texts:
            assert password not in text and quote(password, safe="") not in text


def _refused(url: str, *, writes: bool = True) -> RefusedConnectionError:
    with pytest.raises(RefusedConnectionError) as caught:
        connect(Target("staging", url, SOURCE), writes=writes)
    error = caught.value
    assert error.exit_code == 2 and error.message.startswith(f"refused {SOURCE}: ")
    assert "\n" not in error.message
    _assert_no_password(error)
    return error


def _unreachable(url: str, **session) -> DatabaseConnectionError:
    with pytest.raises(DatabaseConnectionError) as caught:
        connect(Target("staging", url, SOURCE), writes=True, session=SessionSettings(**session))
    assert caught.value.exit_code == 4
    return caught.value


# --- PgBouncer in transaction mode ---------------------------------------------------------------

@pytest.mark.parametrize("pool_size", [None, 1], ids=["pool-default", "pool-1"])
@pytest.mark.parametrize("writes", [True, False], ids=["writes", "reads"])
def test_pgbouncer_rejecting_startup_options_is_refused(start_pgbouncer, pool_size, writes):
    bouncer = start_pgbouncer(pool_mode="transaction", default_pool_size=pool_size)
    error = _refused(bouncer.url(), writes=writes)
    assert "PgBouncer" in error.message


@pytest.mark.parametrize("pool_size", [None, 1], ids=["pool-default", "pool-1"])
def test_pgbouncer_dropping_startup_options_is_refused(start_pgbouncer, pool_size):
    bouncer = start_pgbouncer(pool_mode="transaction", default_pool_size=pool_size,
                              ignore_startup_parameters=("options",))
    error = _refused(bouncer.url())
    assert "startup options did not reach the server" in error.message


def test_pgbouncer_on_the_servers_port_number_is_refused(start_pgbouncer, private_primary):
    """A pooler on another host but the same port number as the server (pooler:5432 before
    db:5432) is found because the startup options it drops never reach the server."""
    bouncer = start_pgbouncer(
        upstream_url=private_primary.url(), listen_host="127.0.0.2",
        listen_port=private_primary.port, ignore_startup_parameters=("options",),
    )
    error = _refused(bouncer.url())
    assert "startup options did not reach the server" in error.message


# --- standby and read-only sessions --------------------------------------------------------------

@pytest.mark.parametrize("writes", [True, False], ids=["writes", "reads"])
def test_standby_is_refused(standby, writes):
    error = _refused(standby.url(), writes=writes)
    assert "standby in recovery" in error.message


def test_private_primary_with_password_is_accepted(private_primary):
    with connect(Target("staging", private_primary.url(), SOURCE), writes=True) as conn:
        assert conn.execute("select pg_is_in_recovery()").fetchone() == (False,)


@pytest.fixture
def read_only_role(canary_admin_url) -> Iterator[str]:
    """A login role whose sessions are read-only by default (password: the canary)."""
    role = f"nivo_reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(canary_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login password {}").format(
            sql.Identifier(role), sql.Literal(CANARY_PASSWORD)))
        conn.execute(sql.SQL("alter role {} set default_transaction_read_only = on").format(
            sql.Identifier(role)))
    yield role
    with psycopg.connect(canary_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def test_read_only_role_is_refused_for_writes(make_database, canary_url_for, read_only_role):
    database = make_database("nivo_ro").rsplit("/", 1)[1]
    error = _refused(canary_url_for(database, read_only_role), writes=True)
    assert "read-only" in error.message and "may write" in error.hint


def test_read_only_role_is_accepted_for_reads(make_database, canary_url_for, read_only_role):
    database = make_database("nivo_ro").rsplit("/", 1)[1]
    url = canary_url_for(database, read_only_role)
    with connect(Target("staging", url, SOURCE), writes=False) as conn:
        assert _is_read_only(conn)


def _is_read_only(conn) -> bool:
    return conn.execute("show transaction_read_only").fetchone()[0] == "on"


def _read_only_database(make_database, canary_admin_url) -> str:
    url = make_database("nivo_ro")
    with psycopg.connect(canary_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("alter database {} set default_transaction_read_only = on").format(
            sql.Identifier(url.rsplit("/", 1)[1])))
    return url


def test_read_only_database_is_refused_for_writes(make_database, canary_admin_url):
    error = _refused(_read_only_database(make_database, canary_admin_url), writes=True)
    assert "read-only" in error.message


def test_read_only_database_is_accepted_for_reads(make_database, canary_admin_url):
    url = _read_only_database(make_database, canary_admin_url)
    with connect(Target("staging", url, SOURCE), writes=False) as conn:
        assert _is_read_only(conn)


def test_writable_database_is_accepted_for_writes(make_database):
    with connect(Target("staging", make_database("nivo_rw"), SOURCE), writes=True) as conn:
        assert not _is_read_only(conn)


def test_checked_connection_without_autocommit_starts_idle(make_database):
    """The checks run outside the caller's transaction, so it starts clean."""
    target = Target("staging", make_database("nivo_rw"), SOURCE)
    with connect(target, writes=True, autocommit=False) as conn:
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


# --- unreachable servers and refused logins ------------------------------------------------------

def test_wrong_password_is_a_connection_error_without_the_password(private_primary):
    error = _unreachable(private_primary.url(password=WRONG_PASSWORD))
    assert "password authentication failed" in error.message
    _assert_no_password(error, WRONG_PASSWORD)


def test_port_where_nothing_listens_fails_fast():
    url = f"postgresql://nivo_canary:{quote(CANARY_PASSWORD, safe='')}@127.0.0.1:" \
          f"{servers.free_port()}/postgres"
    started = time.monotonic()
    error = _unreachable(url, connect_timeout_s=20)
    assert time.monotonic() - started < 20  # refused at once, not after the connect timeout
    _assert_no_password(error)


def test_unknown_host_is_a_connection_error():
    url = f"postgresql://nivo_canary:{quote(CANARY_PASSWORD, safe='')}" \
          "@nivo-unknown-host.invalid:5432/postgres"
    error = _unreachable(url, connect_timeout_s=5)
    assert "nivo-unknown-host.invalid" in error.message
    _assert_no_password(error)


# --- a login that times out for a moment (a busy runner's pooler) --------------------------------

@pytest.fixture
def stalls_first_login(make_database) -> Iterator[tuple[str, list]]:
    """A TCP relay to a real database whose first connection is accepted and never answered
    (a pooler too busy to log in), every later one relayed: (its URL, accepted sockets)."""
    import socket
    import threading
    from urllib.parse import urlsplit

    upstream = urlsplit(make_database("nivo_stall"))
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list = []

    def pipe(source, sink) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            accepted.append(client)
            if len(accepted) == 1:
                continue  # held open, never answered
            server = socket.create_connection((upstream.hostname, upstream.port or 5432))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=pipe, args=(a, b), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    port = listener.getsockname()[1]
    try:
        login = upstream.netloc.rsplit("@", 1)[0]
        yield upstream._replace(netloc=f"{login}@127.0.0.1:{port}").geturl(), accepted
    finally:
        listener.close()
        for sock in accepted:
            sock.close()


def test_a_login_that_times_out_once_is_tried_again(stalls_first_login):
    url, accepted = stalls_first_login
    started = time.monotonic()
    with connect(Target("staging", url, SOURCE), writes=False,
                 session=SessionSettings(connect_timeout_s=2)) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
    assert len(accepted) >= 2  # the stalled login, then the one that worked
    assert 2 <= time.monotonic() - started < 20
