"""Session settings and poolers on real servers: every setting is in force after `connect`
(applied by SET, read back), the URL's own options too, and a pooler is accepted only in
session mode with `allow_session_pooler`; a transaction pooler is refused even then.

PgBouncers are started once per configuration for the whole session (`start_pgbouncer`).
"""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate import db
from nivomigrate.db import SessionSettings, Target, connect
from nivomigrate.errors import RefusedConnectionError
from nivomigrate.session import RUN_ID
from nivomigrate.urls import with_query
from tests.conftest import CANARY_PASSWORD

SOURCE = "STAGING_POSTGRES_URL_NON_POOLING from the environment"
TIMEOUTS = SessionSettings(lock_timeout_ms=1234, statement_timeout_ms=56789,
                           idle_in_transaction_timeout_ms=43210)
DROPS_OPTIONS = ("options",)


def _show(conn, *names: str) -> list[str]:
    return [conn.execute(f"select current_setting('{name}')").fetchone()[0] for name in names]


def _target(url: str, **kwargs) -> Target:
    return Target("staging", url, SOURCE, **kwargs)


def _refused(url: str, *, writes: bool = True, **kwargs) -> RefusedConnectionError:
    with pytest.raises(RefusedConnectionError) as caught:
        connect(_target(url, **kwargs), writes=writes, session=TIMEOUTS)
    error = caught.value
    assert error.exit_code == 2 and "\n" not in error.message
    for text in (error.message, error.hint or ""):
        assert CANARY_PASSWORD not in text
    return error


def _cannot_write(conn) -> None:
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("create table nivo_written (id int)")


# --- settings on a direct connection -------------------------------------------------------------

def test_own_settings_are_in_force_on_a_writing_session(make_database):
    with connect(_target(make_database("nivo_set")), writes=True, session=TIMEOUTS) as conn:
        assert _show(conn, "lock_timeout", "statement_timeout",
                     "idle_in_transaction_session_timeout", "client_connection_check_interval",
                     "default_transaction_read_only") == ["1234ms", "56789ms", "43210ms", "2s",
                                                          "off"]
        assert _show(conn, "application_name") == [f"nivomigrate:{RUN_ID}"]


def test_reading_session_cannot_write(make_database):
    with connect(_target(make_database("nivo_set")), writes=False) as conn:
        assert _show(conn, "default_transaction_read_only") == ["on"]
        _cannot_write(conn)


def test_url_options_are_kept_and_ours_win_for_our_settings(make_database):
    url = with_query(make_database("nivo_set"),
                     options="-c search_path=app,public --work-mem=5MB -c lock_timeout=99")
    with connect(_target(url), writes=True, session=TIMEOUTS) as conn:
        assert _show(conn, "search_path", "work_mem", "lock_timeout") == [
            "app,public", "5MB", "1234ms"]


def test_prisma_schema_parameter_becomes_the_search_path(make_database):
    url = make_database("nivo_set") + "?schema=app&connection_limit=1"
    with connect(_target(url), writes=False) as conn:
        assert _show(conn, "search_path") == ["app"]


def test_url_read_only_option_is_refused_for_writes(make_database):
    url = with_query(make_database("nivo_set"), options="-c default_transaction_read_only=on")
    error = _refused(url)
    assert "read-only" in error.message and "the URL's options" in error.message


def test_url_read_only_option_is_accepted_for_reads(make_database):
    url = with_query(make_database("nivo_set"), options="-c default_transaction_read_only=on")
    with connect(_target(url), writes=False) as conn:
        _cannot_write(conn)


def test_unknown_setting_in_the_url_options_is_a_config_error(make_database):
    from nivomigrate.errors import ConfigError

    url = with_query(make_database("nivo_set"), options="-c no_such_setting=1")
    with pytest.raises(ConfigError) as caught:
        connect(_target(url), writes=False)
    assert caught.value.exit_code == 2 and "no_such_setting" in caught.value.message


def test_same_backend_check_refuses_another_pid(make_database):
    with connect(_target(make_database("nivo_set")), writes=True) as conn:
        db.assert_same_backend(conn, conn.info.backend_pid)
        with pytest.raises(RefusedConnectionError, match="transaction pooler"):
            db.assert_same_backend(conn, conn.info.backend_pid + 1)


# --- PgBouncer in session mode -------------------------------------------------------------------

@pytest.fixture
def session_bouncer(start_pgbouncer):
    return start_pgbouncer(pool_mode="session", ignore_startup_parameters=DROPS_OPTIONS)


def test_session_pooler_without_the_flag_is_refused(session_bouncer):
    error = _refused(session_bouncer.url())
    assert "startup options did not reach the server" in error.message
    assert "allow_session_pooler" in error.hint and "NIVOMIGRATE_ALLOW_SESSION_POOLER" in error.hint


@pytest.mark.parametrize("writes", [True, False], ids=["writes", "reads"])
def test_session_pooler_with_the_flag_has_every_setting(session_bouncer, writes):
    session = db.open_session(_target(session_bouncer.url(), allow_session_pooler=True),
                              writes=writes, session=TIMEOUTS)
    with session.conn as conn:
        assert session.through_pooler
        assert _show(conn, "lock_timeout", "statement_timeout", "application_name") == [
            "1234ms", "56789ms", f"nivomigrate:{RUN_ID}"]
        if not writes:
            _cannot_write(conn)


def test_session_pooler_keeps_the_urls_options(session_bouncer):
    url = with_query(session_bouncer.url(), options="-c search_path=app")
    with connect(_target(url, allow_session_pooler=True), writes=False) as conn:
        assert _show(conn, "search_path") == ["app"]


def test_session_pooler_with_a_read_only_url_is_refused_for_writes(session_bouncer):
    url = with_query(session_bouncer.url(), options="-c default_transaction_read_only=on")
    _refused(url, allow_session_pooler=True)
    with connect(_target(url, allow_session_pooler=True), writes=False) as conn:
        _cannot_write(conn)


def test_session_pooler_rejecting_options_is_used_by_set_alone(start_pgbouncer):
    bouncer = start_pgbouncer(pool_mode="session")
    with connect(_target(bouncer.url(), allow_session_pooler=True), writes=True,
                 session=TIMEOUTS) as conn:
        assert _show(conn, "lock_timeout") == ["1234ms"]


def test_full_session_pool_is_not_taken_for_a_shared_backend(start_pgbouncer):
    """With one server connection in the pool, the second session waits for it: the check
    gives up on it after a few seconds instead of hanging, and accepts the session pooler."""
    bouncer = start_pgbouncer(pool_mode="session", default_pool_size=1,
                              ignore_startup_parameters=DROPS_OPTIONS)
    target = _target(bouncer.url(), allow_session_pooler=True)
    with connect(target, writes=False, session=SessionSettings(connect_timeout_s=2)) as conn:
        assert _show(conn, "default_transaction_read_only") == ["on"]


# --- PgBouncer in transaction mode: refused, flag or not -----------------------------------------

@pytest.mark.parametrize("pool_size", [None, 1], ids=["pool-default", "pool-1"])
@pytest.mark.parametrize("writes", [True, False], ids=["writes", "reads"])
def test_transaction_pooler_is_refused_even_with_the_flag(start_pgbouncer, pool_size, writes):
    bouncer = start_pgbouncer(pool_mode="transaction", default_pool_size=pool_size,
                              ignore_startup_parameters=DROPS_OPTIONS)
    error = _refused(bouncer.url(), writes=writes, allow_session_pooler=True)
    assert "shares backends" in error.message


def test_transaction_pooler_rejecting_options_is_refused_with_the_flag(start_pgbouncer):
    bouncer = start_pgbouncer(pool_mode="transaction", default_pool_size=1)
    error = _refused(bouncer.url(), allow_session_pooler=True)
    assert "shares backends" in error.message


# --- an IPv6-only host that cannot be reached ---------------------------------------------------

def test_unreachable_ipv6_only_host_names_the_session_pooler():
    from urllib.parse import quote

    from nivomigrate.errors import DatabaseConnectionError
    from tests import servers

    url = f"postgresql://nivo_canary:{quote(CANARY_PASSWORD, safe='')}@[::1]:" \
          f"{servers.free_port()}/postgres"
    with pytest.raises(DatabaseConnectionError) as caught:
        connect(_target(url), writes=True, session=SessionSettings(connect_timeout_s=3))
    error = caught.value
    assert error.exit_code == 4 and "IPv6 addresses only" in error.message
    assert "session pooler" in error.hint and "allow_session_pooler" in error.hint
    assert CANARY_PASSWORD not in str(error) + error.hint
