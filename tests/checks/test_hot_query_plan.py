"""hot-query-plan: generic plans of the hot queries' SQL, read-only and cleaned up."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate.checks import hot_query_index, hot_query_plan
from nivomigrate.findings import Severity
from nivomigrate.policies.hot_queries import HotQuery, OrderKey

TABLE = """
CREATE TABLE "Log" ("id" TEXT PRIMARY KEY, "projectId" TEXT NOT NULL, "level" TEXT,
                    "timestamp" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP);
"""
LIST_SQL = ('SELECT "public"."Log"."id" FROM "public"."Log" WHERE ("public"."Log"."projectId" = $1 '
            'AND 1=1) ORDER BY "public"."Log"."timestamp" DESC LIMIT $2 OFFSET $3')
LIST = HotQuery("logs_list", "studio", "Log", equality=("projectId",),
                order=(OrderKey("timestamp", "desc"),), sql=LIST_SQL)


@pytest.fixture
def database(read_only_database):
    """Return a function: a fresh read-only database with TABLE and `setup`."""
    return lambda setup: read_only_database(TABLE + setup, "nivo_plan")


def _verdict(conn, query: HotQuery = LIST):
    indexes = hot_query_index.read_indexes(conn)
    return hot_query_plan.explain_hot_queries(conn, [query], indexes)[query.name]


def test_covering_index_reaches_index_cond_without_sort(database):
    conn = database('CREATE INDEX "Log_p_t" ON "Log" ("projectId", "timestamp");')
    verdict = _verdict(conn)
    assert verdict.is_served, verdict.plan
    assert verdict.in_index_cond == ("projectId",) and verdict.sort is None
    assert conn.execute("select count(*) from pg_prepared_statements").fetchone()[0] == 0


def test_equality_only_index_leaves_a_sort(database):
    conn = database('CREATE INDEX "Log_p" ON "Log" ("projectId");')
    verdict = _verdict(conn)
    assert not verdict.is_served
    assert verdict.sort == "Sort" and verdict.in_index_cond == ("projectId",)


def test_equality_column_in_a_filter_is_reported(database):
    conn = database('CREATE INDEX "Log_l" ON "Log" ("level");')
    query = HotQuery("by_level", "studio", "Log", equality=("projectId", "level"),
                     sql='SELECT id FROM "Log" WHERE "projectId" = $1 AND level = $2')
    verdict = _verdict(conn, query)
    assert verdict.in_filter == ("projectId",) and not verdict.is_served


def test_sql_that_does_not_prepare_is_a_warning_and_leaves_nothing_behind(database):
    conn = database("")
    broken = HotQuery("broken", "studio", "Log", equality=("projectId",),
                      sql='SELECT "gone" FROM "Log" WHERE "projectId" = $1')
    indexes = hot_query_index.read_indexes(conn)
    coverages = hot_query_index.assess(conn, [broken, LIST], indexes)
    verdicts = hot_query_plan.explain_hot_queries(conn, [broken, LIST], indexes)
    assert 'column "gone" does not exist' in verdicts["broken"].error
    assert verdicts["logs_list"].error is None  # a failing query does not stop the others
    [finding] = [f for f in hot_query_plan.findings(coverages, verdicts)
                 if f.location.object == "Log (broken)"]
    assert finding.severity is Severity.WARNING
    assert conn.execute("select count(*) from pg_prepared_statements").fetchone()[0] == 0
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_second_statement_in_sql_is_refused(database):
    conn = database("")
    sneaky = HotQuery("sneaky", "s", "Log", equality=("projectId",),
                      sql='SELECT 1; DROP TABLE "Log"')
    assert _verdict(conn, sneaky).error
    assert conn.execute("select to_regclass('\"Log\"')").fetchone()[0] is not None


def test_disagreement_between_catalog_and_plan_is_a_finding(database):
    conn = database('CREATE INDEX "Log_p_hash" ON "Log" USING hash ("projectId");'
                    'ANALYZE "Log";')
    query = HotQuery("by_project", "s", "Log", equality=("projectId",),
                     sql='SELECT id FROM "Log" WHERE "projectId" = $1')
    indexes = hot_query_index.read_indexes(conn)
    coverages = hot_query_index.assess(conn, [query], indexes)
    verdicts = hot_query_plan.explain_hot_queries(conn, [query], indexes)
    assert not coverages[0].is_covered and verdicts["by_project"].is_served
    [finding] = hot_query_plan.findings(coverages, verdicts)
    assert "disagree" in finding.message and finding.severity is Severity.INFO
    assert "Log_p_hash" in dict(finding.evidence)["plan"]
