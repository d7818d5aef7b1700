import threading

import psycopg
import pytest
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.config import Timeouts
from nivomigrate.db import Target
from nivomigrate.engine.runner import apply_revisions
from nivomigrate.errors import MigrationError

VALID = "select indisvalid from pg_index where indexrelid = '\"T_a_idx\"'::regclass"
FAST = Timeouts(lock_timeout_ms=200, statement_timeout_ms=30_000, lock_retries=2)


def _table(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('create table "P" (id bigint primary key)')
        conn.execute('insert into "P" select generate_series(1, 10)')
        conn.execute('create table "T" (id bigint primary key, a text, "pId" bigint)')
        conn.execute('insert into "T" select g, g::text, 1 + g % 10 from generate_series(1, 100) g')


def _apply(settings, url):
    return apply_revisions(settings, Target("staging", url),
                           migrations.revisions(settings.versions_dir), retry_delay_s=0.1)


def _one(url, sql, *params):
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()


def test_interrupted_concurrent_build_is_repaired_by_a_rerun(tmp_path, make_database):
    url = make_database("nivo_ops")
    _table(url)
    settings = make_project(tmp_path, ['ops.create_index_concurrently("T_a_idx", "T", [\'"a"\'])'],
                            timeouts=FAST)
    started, done = threading.Event(), threading.Event()

    def writer_in_open_transaction():
        with psycopg.connect(url) as conn:
            conn.execute("""insert into "T" values (1000, 'x', 1)""")
            started.set()
            done.wait(10)
            conn.rollback()

    writer = threading.Thread(target=writer_in_open_transaction)
    writer.start()
    started.wait()
    try:
        with pytest.raises(MigrationError, match="lock timeouts"):
            _apply(settings, url)
    finally:
        done.set()
        writer.join()
    assert _one(url, VALID) == (False,)
    _apply(settings, url)
    assert _one(url, VALID) == (True,)


def test_foreign_key_left_not_valid_is_validated_on_rerun(tmp_path, make_database):
    url = make_database("nivo_ops")
    _table(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('insert into "T" values (1000, \'orphan\', 999)')  # no "P" 999
    settings = make_project(tmp_path, [
        'ops.add_foreign_key_online("T_pId_fkey", "T", ["pId"], "P", ["id"])'])
    with pytest.raises(MigrationError, match=r"step 2 of 2 \(statement\) failed"):
        _apply(settings, url)
    validated = "select convalidated from pg_constraint where conname = %s"
    assert _one(url, validated, "T_pId_fkey") == (False,)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('delete from "T" where id = 1000')
    _apply(settings, url)
    assert _one(url, validated, "T_pId_fkey") == (True,)
    # The NOT VALID step ran once; the VALIDATE step twice (failed, then passed).
    assert _one(url, "select array_agg(attempts order by step) from nivomigrate.steps") == (
        [1, 2],)


def test_set_not_null_online_leaves_no_check(tmp_path, make_database):
    url = make_database("nivo_ops")
    _table(url)
    settings = make_project(tmp_path, ['ops.set_not_null_online("T", "a")'])
    _apply(settings, url)
    assert _one(url, "select attnotnull from pg_attribute where attrelid = '\"T\"'::regclass "
                     "and attname = 'a'") == (True,)
    assert _one(url, "select count(*) from pg_constraint where conname = 'T_a_not_null'") == (0,)


def test_helpers_render_offline(tmp_path):
    settings = make_project(tmp_path, [
        'ops.create_index_concurrently("T_a_idx", "T", [\'"a"\'])\n'
        'ops.add_foreign_key_online("T_pId_fkey", "T", ["pId"], "P", ["id"])\n'
        'ops.set_not_null_online("T", "a")'])
    [revision] = migrations.revisions(settings.versions_dir)
    sql = migrations.render_sql(settings.versions_dir, revision).sql
    assert 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "T_a_idx"' in sql
    assert 'VALIDATE CONSTRAINT "T_pId_fkey"' in sql
    assert 'ALTER COLUMN "a" SET NOT NULL' in sql


@pytest.mark.parametrize(("key", "sql"), [
    ("projectId", '"projectId"'), ("createdAt DESC", '"createdAt" DESC'),
    ("id", "id"), ("user", '"user"'), ('"timestamp" DESC', '"timestamp" DESC'),
    ('lower("email")', 'lower("email")'), ("status nulls first", "status nulls first"),
    ("deviceId NULLS LAST", '"deviceId" NULLS LAST'),
])
def test_plain_key_names_are_quoted_where_postgresql_needs_it(key, sql):
    from nivomigrate.ops import key_sql

    assert key_sql(key) == sql


def test_a_replaced_foreign_key_is_never_missing_and_ends_validated(tmp_path, make_database):
    url = make_database("nivo_ops")
    _table(url)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('alter table "T" add constraint "T_pId_fkey" foreign key ("pId") '
                     'references "P" (id) on delete cascade')
    settings = make_project(tmp_path, [
        'op.execute(\'ALTER TABLE "T" DROP CONSTRAINT "T_pId_fkey"\')\n'
        'op.execute(\'ALTER TABLE "T" ADD CONSTRAINT "T_pId_fkey" FOREIGN KEY ("pId") '
        'REFERENCES "P" (id) ON DELETE RESTRICT NOT VALID\')\n'
        'ops.validate_constraint_online("T_pId_fkey", "T")'])
    _apply(settings, url)
    assert _one(url, "select convalidated, confdeltype from pg_constraint "
                     "where conname = 'T_pId_fkey'") == (True, "r")
    # The drop and the NOT VALID add are one transactional step; the validation its own.
    assert _one(url, "select count(*) from nivomigrate.steps") == (2,)
