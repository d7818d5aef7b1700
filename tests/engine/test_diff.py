"""diff_schemas / diff_sql on real databases: the data-folder cases, round trips, errors."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import pytest

from nivomigrate.db import Target
from nivomigrate.engine.diff import diff_schemas, diff_sql
from nivomigrate.errors import DatabaseConnectionError

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


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_diff_case_finds_expected_keys_and_round_trips(make_database, case: str) -> None:
    production, staging = _databases(make_database, CASES / case)
    expected = json.loads((CASES / case / "expected.json").read_text())

    result = diff_schemas(production, staging)

    assert result.snapshot_diff.keys() == expected
    assert bool(result.sql) == any(expected.values())
    _run(production.url, result.sql)
    again = diff_schemas(production, staging)
    assert again.sql == ""
    assert again.snapshot_diff.is_empty, again.snapshot_diff


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
    assert "nivomigrate" not in sql


def test_unreachable_database_is_connection_error_without_password(make_database) -> None:
    production = Target("production", make_database("nivo_prod"))
    url = production.url.rsplit("/", 1)[0] + "/nivo_does_not_exist"
    password = unquote(urlsplit(url).password)

    with pytest.raises(DatabaseConnectionError) as caught:
        diff_sql(production, Target("staging", url))

    assert password not in str(caught.value)
    assert password not in (caught.value.hint or "")
