"""Staging and prod are proven different databases before a writing command changes anything:
the same URL, a host alias and another URL form are refused (exit 2, one line, nothing
changed); two databases of one server are not."""

from __future__ import annotations

import os
from contextlib import closing
from urllib.parse import unquote, urlsplit

import psycopg
from safety_helpers import make_project

from nivomigrate.db import Target, connect
from nivomigrate.engine.identity import read_identity, same_database
from tests import forked_cli
from tests.conftest import CANARY_PASSWORD

CREATE = 'op.execute("CREATE TABLE t (id int PRIMARY KEY)")'


def _run(tmp_path, command: list[str], staging: str, prod: str, shadow: str):
    return forked_cli.run(
        *command, cwd=tmp_path, timeout=300,
        env={**os.environ, "T_STAGING_URL": staging, "T_PROD_URL": prod,
             "NIVOMIGRATE_SHADOW_URL": shadow})


def _untouched(url: str) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("select to_regclass('alembic_version') is null and "
                            "to_regclass('nivomigrate.runs') is null and "
                            "to_regclass('public.t') is null").fetchone()[0]


def _assert_refused(done, url: str) -> None:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert lines[0].startswith("error: refusing to write staging: staging and prod are the "
                               "same database"), lines
    assert lines[1].startswith("hint: point T_STAGING_URL and T_PROD_URL at different")
    assert len(lines) == 2 and CANARY_PASSWORD not in done.stderr + done.stdout
    assert _untouched(url)


def test_the_same_url_for_staging_and_prod_is_refused(tmp_path, make_database,
                                                      canary_admin_url):
    url = make_database("nivo_staging")
    make_project(tmp_path, [CREATE])
    _assert_refused(_run(tmp_path, ["apply", "staging"], url, url, canary_admin_url), url)


def test_a_host_alias_is_refused(tmp_path, make_database, canary_admin_url):
    url = make_database("nivo_staging")
    host = urlsplit(url).hostname
    alias = url.replace(f"@{host}:", "@localhost:" if host != "localhost" else "@127.0.0.1:")
    assert alias != url
    make_project(tmp_path, [CREATE])
    _assert_refused(_run(tmp_path, ["apply", "staging"], url, alias, canary_admin_url), url)


def test_the_key_value_form_of_the_same_database_is_refused_by_promote(
        tmp_path, make_database, canary_admin_url):
    url = make_database("nivo_staging")
    parts = urlsplit(url)
    password = unquote(parts.password).replace("\\", "\\\\").replace("'", "\\'")
    key_value = (f"host={parts.hostname} port={parts.port or 5432} "
                 f"dbname={parts.path.lstrip('/')} user={parts.username} password='{password}'")
    make_project(tmp_path, [CREATE])
    done = _run(tmp_path, ["promote", "prod"], url, key_value, canary_admin_url)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: refusing to write prod: prod and staging are the same")
    assert CANARY_PASSWORD not in done.stderr + done.stdout
    assert _untouched(url)


def test_two_databases_of_one_server_are_different(tmp_path, make_database, canary_admin_url):
    staging, prod = make_database("nivo_staging"), make_database("nivo_prod")
    make_project(tmp_path, [CREATE])
    done = _run(tmp_path, ["apply", "staging"], staging, prod, canary_admin_url)
    assert done.returncode == 0, done.stderr
    assert _untouched(prod)


def test_without_the_system_identifier_the_probe_tells(make_database):
    """A role pg_control_system() is revoked from: the advisory-lock probe decides alone."""
    first, second = make_database("nivo_staging"), make_database("nivo_prod")
    with closing(connect(Target("a", first), writes=True)) as a, \
            closing(connect(Target("b", first), writes=False)) as same, \
            closing(connect(Target("c", second), writes=False)) as other:
        mine = read_identity(a)
        assert mine.system_identifier is not None  # PUBLIC may call it on PostgreSQL 15
        blind = [i.__class__(None, i.database_oid, i.database, i.backend_pid)
                 for i in (mine, read_identity(same), read_identity(other))]
        assert same_database(a, blind[0], same, blind[1])
        assert not same_database(a, blind[0], other, blind[2])
