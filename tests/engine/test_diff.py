"""diff_schemas / diff_sql on real databases: the data-folder cases, round trips, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import pytest

from nivomigrate.db import Target
from nivomigrate.engine.diff import diff_schemas, diff_sql
from nivomigrate.errors import DatabaseConnectionError
from nivomigrate.snapshot import DEFAULT_EXCLUDED, EXCLUDED_TABLES

CASES = Path(__file__).parent / "diff_cases"


def _run(url: str, script: str) -> None:
    if script.strip():
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(script)


def _databases(make_database, case: Path) -> tuple[Target, Target]:
    production_url, staging_url = make_database("nivo_prod"), make_database("nivo_staging")
    _run(production_url, (case / "production.sql").read_text())
    _run(staging_url, (case / "staging.sql").read_text())
    return Target("production", production_url), Target("staging", staging_url)


def _pg_dump() -> str:
    """pg_dump of the test server's major version (PostgreSQL's packages), else from PATH."""
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"), reverse=True):
        return str(candidate)
    found = shutil.which("pg_dump")
    if not found:
        pytest.fail("pg_dump is needed to compare schemas") if os.environ.get("CI") \
            else pytest.skip("pg_dump not found")
    return found


def _schema_dumps(*urls: str) -> list[str]:
    """Return `pg_dump --schema-only` of each database's managed schema, run in parallel."""
    excluded = [f"--exclude-schema={name}" for name in sorted(DEFAULT_EXCLUDED)]
    excluded += [f"--exclude-table={name}" for name in sorted(EXCLUDED_TABLES)]
    processes = [subprocess.Popen([_pg_dump(), "--schema-only", *excluded, url],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for url in urls]
    dumps = []
    for process in processes:
        out, err = process.communicate()
        assert process.returncode == 0, err
        # pg_dump 15.14+ writes a random key in \\restrict and \\unrestrict lines
        dumps.append("\n".join(line for line in out.splitlines()
                               if not line.startswith(("\\restrict", "\\unrestrict"))))
    return dumps


def _assert_round_trip(source: Target, target: Target, sql: str) -> None:
    """Apply `sql` to `source`: then it has the target's fingerprint and pg_dump."""
    _run(source.url, sql)
    again = diff_schemas(source, target)
    assert again.is_empty, (sql, again.snapshot_diff, again.sql)
    source_dump, target_dump = _schema_dumps(source.url, target.url)
    assert source_dump == target_dump, sql


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_diff_case_finds_expected_keys_and_round_trips_both_ways(make_database, case: str) -> None:
    production, staging = _databases(make_database, CASES / case)
    copy = Target("production copy", make_database(
        "nivo_copy", template=urlsplit(production.url).path.lstrip("/")))
    expected = json.loads((CASES / case / "expected.json").read_text())

    result = diff_schemas(copy, staging)

    # the snapshot may see more kinds of objects over time: the expected keys are a minimum
    for side in ("added", "removed", "changed"):
        assert set(expected[side]) <= set(result.snapshot_diff.keys()[side]), side
    assert result.is_empty == (not expected.get("differs", any(expected.values())))
    _assert_round_trip(copy, staging, result.sql)
    _assert_round_trip(staging, production, diff_sql(staging, production))


def test_drops_are_included(make_database) -> None:
    production, staging = _databases(make_database, CASES / "dropped_table")

    assert 'drop table "public"."legacy"' in diff_sql(production, staging)


def test_equal_schemas_in_other_order_give_empty_sql(make_database) -> None:
    production, staging = _databases(make_database, CASES / "added_column")
    _run(production.url, 'alter table public."Log" add column context jsonb')

    result = diff_schemas(production, staging)

    assert result.sql == ""
    assert result.is_empty


def test_ledger_tables_never_reach_the_sql(make_database) -> None:
    production, staging = _databases(make_database, CASES / "excluded_objects")
    _run(staging.url, "create table public.extra (id int)")

    sql = diff_sql(production, staging)

    assert "extra" in sql
    assert "alembic_version" not in sql and "_prisma_migrations" not in sql
    assert "auth" not in sql and "nivomigrate" not in sql


def test_unreachable_database_is_connection_error_without_password(make_database) -> None:
    production = Target("production", make_database("nivo_prod"))
    url = production.url.rsplit("/", 1)[0] + "/nivo_does_not_exist"
    password = unquote(urlsplit(url).password)

    with pytest.raises(DatabaseConnectionError) as caught:
        diff_sql(production, Target("staging", url))

    assert password not in str(caught.value)
    assert password not in (caught.value.hint or "")
