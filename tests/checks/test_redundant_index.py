"""redundant-index: prefixes, duplicates of unique indexes, and never-scanned indexes."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate.checks import hot_query_index, redundant_index
from nivomigrate.db import Target, connect
from nivomigrate.findings import Severity
from nivomigrate.sizes import format_bytes

TABLE = """
CREATE TABLE "Device" ("id" TEXT PRIMARY KEY, "projectId" TEXT NOT NULL, "deviceId" TEXT NOT NULL,
                       "token" TEXT, "status" TEXT);
"""


@pytest.fixture
def redundant(make_database):
    """Return a function: the redundant indexes of a fresh table after `setup`, by name."""
    def find(setup: str) -> dict[str, str]:
        url = make_database("nivo_redundant")
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(TABLE + setup)
        with connect(Target("test", url), writes=False) as conn:
            found = redundant_index.find_redundant(hot_query_index.read_indexes(conn))
        return {r.index.name: r.kept.name for r in found}

    return find


def test_left_prefix_is_redundant(redundant):
    assert redundant('CREATE INDEX "p" ON "Device" ("projectId");'
                     'CREATE INDEX "p_d" ON "Device" ("projectId", "deviceId");') == {"p": "p_d"}


def test_not_a_prefix_is_kept(redundant):
    assert redundant('CREATE INDEX "d" ON "Device" ("deviceId");'
                     'CREATE INDEX "p_d" ON "Device" ("projectId", "deviceId");') == {}


def test_duplicate_of_a_unique_index_is_redundant(redundant):
    assert redundant('CREATE UNIQUE INDEX "t_key" ON "Device" ("token");'
                     'CREATE INDEX "t_idx" ON "Device" ("token");') == {"t_idx": "t_key"}


def test_unique_index_is_not_redundant_to_a_non_unique_superset(redundant):
    assert redundant('CREATE UNIQUE INDEX "t_key" ON "Device" ("token");'
                     'CREATE INDEX "t_s" ON "Device" ("token", "status");') == {}


def test_partial_index_and_constraint_backing_index_are_kept(redundant):
    assert redundant('CREATE INDEX "p_active" ON "Device" ("projectId") WHERE status = \'a\';'
                     'ALTER TABLE "Device" ADD CONSTRAINT "p_t" UNIQUE ("projectId", "token");'
                     'CREATE INDEX "p_t_s" ON "Device" ("projectId", "token", "status");') == {}


def test_other_method_or_direction_is_kept(redundant):
    assert redundant('CREATE INDEX "p_hash" ON "Device" USING hash ("projectId");'
                     'CREATE INDEX "p_d" ON "Device" ("projectId" DESC, "deviceId");'
                     'CREATE INDEX "p_d2" ON "Device" ("projectId", "deviceId");') == {}


def test_findings_give_the_drop_and_the_bytes_saved(make_database):
    url = make_database("nivo_redundant")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLE + 'INSERT INTO "Device" SELECT g::text, \'p\', g::text '
                     'FROM generate_series(1, 2000) g;'
                     'CREATE INDEX "p" ON "Device" ("projectId");'
                     'CREATE INDEX "p_d" ON "Device" ("projectId", "deviceId");')
        size = conn.execute("select pg_relation_size('p')").fetchone()[0]
    with connect(Target("test", url), writes=False) as conn:
        findings = redundant_index.run(conn)
    [warning] = [f for f in findings if f.severity is Severity.WARNING]
    assert warning.location.object == "p" and "left prefix of index p_d" in warning.message
    assert format_bytes(size) in warning.message
    assert 'DROP INDEX CONCURRENTLY IF EXISTS "public"."p";' in warning.help
    assert dict(warning.evidence)["size_bytes"] == str(size)
    [info] = [f for f in findings if f.severity is Severity.INFO]
    assert "never scanned" in info.message and "p_d" in info.message


def test_scanned_index_is_not_reported_unused(make_database):
    url = make_database("nivo_redundant")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLE + 'CREATE INDEX "d" ON "Device" ("deviceId");')
        conn.execute("SET enable_seqscan = off")
        conn.execute('SELECT * FROM "Device" WHERE "deviceId" = \'x\'').fetchall()
        conn.execute("SELECT pg_stat_force_next_flush()")
    with connect(Target("test", url), writes=False) as conn:
        assert [f for f in redundant_index.run(conn) if "never scanned" in f.message] == []
