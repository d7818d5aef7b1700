"""integrity: INVALID indexes, NOT VALID constraints, sequences behind their column, each with
its repair; the repair, run as written, leaves nothing to report."""

from __future__ import annotations

import psycopg

from nivomigrate.checks.integrity import integrity_findings
from nivomigrate.findings import Severity

TABLE = """
CREATE TABLE "Log" (id bigserial PRIMARY KEY, tag text, level int);
INSERT INTO "Log" (tag, level) SELECT 'same', g FROM generate_series(1, 50) g;
"""


def _setup(make_database, sql: str) -> str:
    url = make_database("nivo_integrity")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLE)
        for statement in filter(str.strip, sql.split(";")):
            try:
                conn.execute(statement)
            except psycopg.errors.UniqueViolation:
                pass  # the failed build that leaves an INVALID index behind
    return url


def _findings(url: str):
    with psycopg.connect(url, autocommit=True) as conn:
        return integrity_findings(conn, "prod")


def _repair(url: str, findings) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for finding in findings:
            for statement in filter(str.strip, finding.help.split(";")):
                conn.execute(statement)


def test_clean_database_is_ok(make_database):
    url = _setup(make_database, 'CREATE INDEX "Log_tag_idx" ON "Log" (tag)')
    assert _findings(url) == []


def test_invalid_index_is_error_and_its_repair_rebuilds_it(make_database):
    url = _setup(make_database, 'CREATE UNIQUE INDEX CONCURRENTLY "Log_tag_key" ON "Log" (tag)')
    [finding] = _findings(url)
    assert finding.severity is Severity.ERROR and "is INVALID" in finding.message
    assert finding.help.startswith('DROP INDEX CONCURRENTLY "public"."Log_tag_key";')
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE \"Log\" SET tag = id::text")  # the duplicates the build hit
    _repair(url, [finding])
    assert _findings(url) == []


def test_not_valid_constraint_is_error_and_validate_repairs_it(make_database):
    url = _setup(make_database, 'ALTER TABLE "Log" ADD CONSTRAINT "Log_level_check" '
                                "CHECK (level > 0) NOT VALID")
    [finding] = _findings(url)
    assert "NOT VALID" in finding.message
    assert finding.help == 'ALTER TABLE "public"."Log" VALIDATE CONSTRAINT "Log_level_check";'
    _repair(url, [finding])
    assert _findings(url) == []


def test_sequence_behind_its_column_is_error_and_setval_repairs_it(make_database):
    url = _setup(make_database, "INSERT INTO \"Log\" (id, tag, level) VALUES (500, 'x', 1)")
    [finding] = _findings(url)
    assert "behind the maximum 500" in finding.message
    _repair(url, [finding])
    assert _findings(url) == []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO \"Log\" (tag, level) VALUES ('next', 1)")  # no duplicate key
