"""hot-query-index: each coverage rule with an ok and a flagged case, on real databases."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from nivomigrate.checks import hot_query_index
from nivomigrate.db import Target, connect
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Severity
from nivomigrate.policies.hot_queries import HotQuery, OrderKey, load_hot_queries

TABLE = """
CREATE TABLE "Log" (
    "id" TEXT PRIMARY KEY,
    "projectId" TEXT NOT NULL,
    "deviceId" TEXT,
    "status" TEXT NOT NULL DEFAULT 'active',
    "email" TEXT,
    "timestamp" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""
LOGS = HotQuery("logs_list", "studio", "Log", equality=("projectId",),
                order=(OrderKey("timestamp", "desc"),))


@pytest.fixture
def database(read_only_database):
    """Return a function: a fresh read-only database with TABLE and `setup`."""
    return lambda setup: read_only_database(TABLE + setup, "nivo_cov")


def _coverage(conn, query: HotQuery = LOGS):
    indexes = hot_query_index.read_indexes(conn)
    return hot_query_index.assess(conn, [query], indexes)[0]


def test_equality_then_order_is_covered_by_backward_scan(database):
    conn = database('CREATE INDEX "Log_p_t" ON "Log" ("projectId", "timestamp");')
    assert _coverage(conn).index.name == "Log_p_t"


def test_wrong_column_order_is_a_gap_with_the_fix(database):
    conn = database('CREATE INDEX "Log_t_p" ON "Log" ("timestamp", "projectId");')
    coverage = _coverage(conn)
    assert not coverage.is_covered
    assert "wrong column order" in coverage.closest.reason
    assert coverage.fix == ('CREATE INDEX CONCURRENTLY IF NOT EXISTS "Log_projectId_timestamp_idx"'
                            ' ON "Log" ("projectId", "timestamp");')
    [finding] = hot_query_index.run(conn, [LOGS])
    assert finding.severity is Severity.ERROR and coverage.fix in finding.help


def test_optional_query_gap_is_a_warning(database):
    conn = database("")
    optional = HotQuery("x", "studio", "Log", equality=("deviceId",), required=False)
    [finding] = hot_query_index.run(conn, [optional])
    assert finding.severity is Severity.WARNING


@pytest.mark.parametrize(("order", "covered"), [
    ((OrderKey("timestamp", "desc"), OrderKey("id")), True),          # forward
    ((OrderKey("timestamp"), OrderKey("id", "desc")), True),          # backward
    ((OrderKey("timestamp", "desc"), OrderKey("id", "desc")), False),  # mixed
    ((OrderKey("timestamp"), OrderKey("id", nulls="first")), False),   # NULLS differ
])
def test_desc_keys_serve_forward_or_backward_scans_only(database, order, covered):
    conn = database('CREATE INDEX "Log_p_td_i" ON "Log" ("projectId", "timestamp" DESC, "id");')
    query = HotQuery("q", "studio", "Log", equality=("projectId",), order=order)
    coverage = _coverage(conn, query)
    assert coverage.is_covered is covered
    if not covered:
        assert "forward or backward" in coverage.closest.reason


@pytest.mark.parametrize(("predicate", "covered"), [
    ("\"status\" = 'active'", True),
    ("status = 'active' AND \"deviceId\" IS NOT NULL", True),
    ("\"status\" = 'deleted'", False),
    (None, False),
])
def test_partial_index_counts_only_with_its_predicate(database, predicate, covered):
    conn = database('CREATE INDEX "Log_active" ON "Log" ("projectId") WHERE status = \'active\';')
    query = HotQuery("q", "ingest", "Log", equality=("projectId",), predicate=predicate)
    assert _coverage(conn, query).is_covered is covered


def test_include_columns_are_not_keys(database):
    conn = database('CREATE INDEX "Log_p_inc" ON "Log" ("projectId") INCLUDE ("timestamp");')
    assert not _coverage(conn).is_covered
    assert _coverage(conn, HotQuery("q", "s", "Log", equality=("projectId",))).is_covered


def test_invalid_index_never_counts_and_is_an_error(make_database):
    url = make_database("nivo_cov")
    with psycopg.connect(url, autocommit=True) as writer:
        writer.execute(TABLE + """INSERT INTO "Log" ("id", "projectId", "timestamp")
                                  VALUES ('1', 'p', '2025-01-01'), ('2', 'p', '2025-01-01')""")
        with pytest.raises(psycopg.errors.UniqueViolation):
            writer.execute('CREATE UNIQUE INDEX CONCURRENTLY "Log_p_t_key" '
                           'ON "Log" ("projectId", "timestamp")')
    query = HotQuery("q", "s", "Log", equality=("projectId",), order=(OrderKey("timestamp"),))
    with connect(Target("test", url), writes=False) as conn:
        coverage = _coverage(conn, query)
        findings = hot_query_index.run(conn, [query])
    assert not coverage.is_covered
    assert coverage.closest.index.name == "Log_p_t_key" and "invalid" in coverage.closest.reason
    [invalid] = [f for f in findings if f.location.object == "Log_p_t_key"]
    assert invalid.severity is Severity.ERROR and "DROP INDEX CONCURRENTLY" in invalid.help


def test_hash_index_does_not_count(database):
    conn = database('CREATE INDEX "Log_p_hash" ON "Log" USING hash ("projectId");')
    coverage = _coverage(conn, HotQuery("q", "s", "Log", equality=("projectId",)))
    assert not coverage.is_covered
    assert "hash index" in coverage.closest.reason


def test_expression_index_counts_only_for_the_same_expression(database):
    conn = database('CREATE INDEX "Log_lower_email" ON "Log" (lower(email));')
    same = HotQuery("q", "s", "Log", equality=("lower(\"email\")",))
    plain = HotQuery("q", "s", "Log", equality=("email",))
    assert _coverage(conn, same).index.name == "Log_lower_email"
    assert not _coverage(conn, plain).is_covered


def test_composite_unique_constraint_serves_any_query_binding_its_columns(database):
    conn = database('ALTER TABLE "Log" ADD CONSTRAINT "Log_p_d_key" '
                    'UNIQUE ("projectId", "deviceId");')
    bound = HotQuery("q", "s", "Log", equality=("deviceId", "projectId", "status"),
                     order=(OrderKey("timestamp"),))
    partly = HotQuery("q", "s", "Log", equality=("deviceId",))
    assert _coverage(conn, bound).index.name == "Log_p_d_key"
    assert not _coverage(conn, partly).is_covered


def test_missing_table_or_column_is_a_gap_naming_it(database):
    conn = database("")
    coverage = _coverage(conn, HotQuery("q", "s", "Log", equality=("projectid",)))
    assert coverage.problem == "no column projectid in Log"


# --- the policy file -------------------------------------------------------------------------

GOOD = """\
version: 1
queries:
- name: logs_list
  service: studio
  table: Log
  equality: [projectId]
  order:
  - column: timestamp
    direction: desc
  predicate: null
  required: true
  source: dashboard/src/app/api/logs/route.ts:40
  sql: SELECT 1
"""


def test_policy_file_loads_typed_entries(tmp_path: Path):
    path = tmp_path / "hot_queries.yaml"
    path.write_text(GOOD)
    [query] = load_hot_queries(path)
    assert query.order == (OrderKey("timestamp", "desc"),)
    assert query.where == f"{path}:3" and query.required


def test_unknown_key_is_refused_with_file_line_and_key(tmp_path: Path):
    path = tmp_path / "hot_queries.yaml"
    path.write_text(GOOD.replace("  predicate: null\n", "  predicat: null\n"))
    with pytest.raises(ConfigError, match=rf"{path}:10: unknown key 'predicat'"):
        load_hot_queries(path)


def test_unknown_order_key_is_refused(tmp_path: Path):
    path = tmp_path / "hot_queries.yaml"
    path.write_text(GOOD.replace("direction: desc", "dir: desc"))
    with pytest.raises(ConfigError, match="unknown key 'dir'"):
        load_hot_queries(path)


def test_repository_policy_file_loads():
    path = Path(__file__).resolve().parents[2] / "policies" / "hot_queries.yaml"
    assert len(load_hot_queries(path)) > 10
