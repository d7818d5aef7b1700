"""Studio's read path through a real standby (pg_basebackup -R): its read queries run there as
a member of the read role, nothing can write, and `doctor` proves it read-only with its lag."""

from __future__ import annotations

import time

import psycopg
import pytest
from psycopg import sql

from nivomigrate.config import load_settings
from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
from nivomigrate.progress import Progress
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.doctor import examine
from nivomigrate.steps.roles import write_roles_revision
from tests.conftest import CANARY_PASSWORD
from tests.steps.conftest import copy_project

READER = "studio_reader"
SEED = """
INSERT INTO "User" (id, email, password, "updatedAt") VALUES ('u1', 'a@b.c', 'secret', now());
INSERT INTO "Project" (id, name, "apiKey", "userId", "updatedAt")
VALUES ('p1', 'demo', 'key-1', 'u1', now());
INSERT INTO "Log" (id, "projectId", message) VALUES ('l1', 'p1', 'hello');
"""


@pytest.fixture(scope="module")
def replicated(private_primary, standby, tmp_path_factory):
    """The NivoStack schema with its roles on the private primary, a login member of the read
    role, and the standby caught up. Roles live on that private cluster, gone with it."""
    root = copy_project(tmp_path_factory.mktemp("replica"))
    with psycopg.connect(private_primary.url(), autocommit=True) as conn:
        for name in ("nivo_replica_staging", "nivo_replica_prod"):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    environ = {"STAGING_POSTGRES_URL_NON_POOLING": private_primary.url("nivo_replica_staging"),
               "PROD_POSTGRES_URL_NON_POOLING": private_primary.url("nivo_replica_prod"),
               "NIVOMIGRATE_SHADOW_URL": private_primary.url(), "USER": "tester"}
    settings = load_settings(project_root=root, environ=environ)
    assert write_roles_revision(settings).path is not None
    applied = apply_environment(settings, "staging", progress=Progress(quiet=True))
    assert applied.exit_code == 0, [f for f in applied.findings if f.is_blocking]
    with psycopg.connect(private_primary.url("nivo_replica_staging"), autocommit=True) as conn:
        # the server runs with synchronous_commit off: a commit may return before its WAL is
        # written, and pg_current_wal_lsn() (what _wait_for_replay waits for) not yet cover it
        conn.execute("SET synchronous_commit = on")
        conn.execute(SEED)
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(READER), sql.Literal(CANARY_PASSWORD)))
        conn.execute(sql.SQL("GRANT nivo_studio_read TO {}").format(sql.Identifier(READER)))
    _wait_for_replay(private_primary, standby)
    return root, environ


def _wait_for_replay(primary, standby, limit_s: float = 60.0) -> None:
    """Wait until the standby has replayed what the primary wrote (not a timed assertion)."""
    with psycopg.connect(primary.url(), autocommit=True) as conn:
        target = conn.execute("select pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + limit_s
    with psycopg.connect(standby.url(), autocommit=True) as conn:
        while not conn.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn",
                               (str(target),)).fetchone()[0]:
            assert time.monotonic() < deadline, "the standby did not replay within a minute"
            time.sleep(0.2)


def _reader_url(server) -> str:
    return server.url("nivo_replica_staging", user=READER, password=CANARY_PASSWORD)


def test_studio_read_queries_run_on_the_standby_as_the_read_role(replicated, standby):
    root, _ = replicated
    queries = [q for q in load_hot_queries(root / "policies" / HOT_QUERIES_FILE)
               if q.service == "studio" and q.sql]
    assert len(queries) >= 5
    with psycopg.connect(_reader_url(standby), autocommit=True) as conn:
        assert conn.execute("select pg_is_in_recovery()").fetchone() == (True,)
        assert conn.execute('SELECT message FROM "Log"').fetchall() == [("hello",)]
        for number, query in enumerate(queries):
            name = sql.Identifier(f"q{number}")
            conn.execute(sql.SQL("PREPARE {} AS ").format(name) + sql.SQL(query.sql.strip()))
            count = conn.execute("select cardinality(parameter_types) from "
                                 "pg_prepared_statements where name = %s",
                                 (f"q{number}",)).fetchone()[0]
            arguments = sql.SQL(", ").join([sql.NULL] * count)
            conn.execute(sql.SQL("EXECUTE {}({})").format(name, arguments)).fetchall()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("""INSERT INTO "Log" (id, "projectId", message) VALUES ('x', 'p1', 'x')""")


def test_the_read_role_cannot_write_even_on_the_primary(replicated, private_primary):
    with psycopg.connect(_reader_url(private_primary), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("""INSERT INTO "Log" (id, "projectId", message) VALUES ('x', 'p1', 'x')""")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('DELETE FROM "User"')


def _replica_section(report):
    [section] = [s for s in report.sections if s.title.startswith("Read replica")]
    return {row[0]: row for row in section.rows}


def test_doctor_proves_the_standby_read_only_and_shows_its_lag(replicated, standby,
                                                               private_primary):
    root, environ = replicated
    settings = load_settings(project_root=root,
                             environ={**environ, "POSTGRES_READ_REPLICA_URL": _reader_url(standby)})
    # The primary writes WAL on its own (a running-transactions record, 56 bytes, every 15 s
    # while busy): what the standby received and has not replayed yet is lag, rightly shown as
    # "56 bytes behind". Caught up is what a standby that replayed everything shows.
    for _ in range(5):
        _wait_for_replay(private_primary, standby)
        report = examine(settings)
        row = _replica_section(report)["staging"]
        if row[5].startswith("caught up (replayed "):
            break
        assert " bytes behind (received " in row[5], row[5]
    assert row[1:5] == ("standby in recovery", READER, "nivo_studio_read", "nothing")
    assert row[5].startswith("caught up (replayed ")
    assert not [f for f in report.findings if f.check == "read-replica"]
    assert CANARY_PASSWORD not in repr(report)


def test_doctor_blocks_a_replica_url_that_reaches_a_writable_primary(replicated,
                                                                      private_primary):
    root, environ = replicated
    # the staging database as its owner, spelled unlike the staging URL (that one is refused)
    writer = private_primary.url("nivo_replica_staging") + "?application_name=studio"
    settings = load_settings(project_root=root,
                             environ={**environ, "POSTGRES_READ_REPLICA_URL": writer})
    report = examine(settings)
    row = _replica_section(report)["staging"]
    assert row[1] == "WRITABLE primary"
    messages = [f.message for f in report.findings if f.check == "read-replica"]
    assert any("reaches a writable primary" in m for m in messages)
    assert any("who may write" in m for m in messages)
    assert report.exit_code == 1
