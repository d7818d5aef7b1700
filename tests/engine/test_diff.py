"""diff_schemas / diff_sql on real databases: the data-folder cases, round trips, errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import pytest

from nivomigrate import shadow
from nivomigrate.db import Target
from nivomigrate.engine.diff import diff_schemas, diff_sql, snapshot_of
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


def _states(*targets: Target) -> list[tuple[str, str]]:
    """Return what must match after a round trip: each snapshot's fingerprint and pg_dump."""
    dumps = _schema_dumps(*(target.url for target in targets))
    return [(snapshot_of(target).fingerprint, dump)
            for target, dump in zip(targets, dumps, strict=True)]


CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())


def _build_case(admin_url: str, case: str) -> tuple[list[str], dict[str, Target] | Exception]:
    """Create the case's production and staging databases; return their names and targets."""
    names = [shadow.scratch_name(f"nivo_{label}") for label in ("prod", "staging")]
    try:
        production = shadow.create_database(admin_url, names[0])
        staging = shadow.create_database(admin_url, names[1])
        _run(production, (CASES / case / "production.sql").read_text())
        _run(staging, (CASES / case / "staging.sql").read_text())
    except Exception as exc:  # reported by the case's own test
        return names, exc
    return names, {"production": Target("production", production),
                   "staging": Target("staging", staging)}


@pytest.fixture(scope="module")
def case_databases(canary_admin_url, dropper) -> Iterator[tuple[dict, Callable[[str], None]]]:
    """Every case's two databases, built at once in a few threads (most time is the server's)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case: pool.submit(_build_case, canary_admin_url, case) for case in CASE_NAMES}
        built = {case: future.result() for case, future in futures.items()}
    left = {case: names for case, (names, _) in built.items()}

    def done(case: str) -> None:
        """Drop the case's databases now, in the background, while the next cases run."""
        for name in left.pop(case, ()):
            dropper.drop(canary_admin_url, name)

    yield {case: targets for case, (_, targets) in built.items()}, done
    for case in list(left):
        done(case)


@pytest.mark.parametrize("case", CASE_NAMES)
def test_diff_case_finds_expected_keys_and_round_trips_both_ways(
        case_databases, case: str, request) -> None:
    built, done = case_databases
    request.addfinalizer(lambda: done(case))
    if isinstance(built[case], Exception):
        raise built[case]
    production, staging = built[case]["production"], built[case]["staging"]
    expected = json.loads((CASES / case / "expected.json").read_text())

    forward = diff_schemas(production, staging)
    backward = diff_sql(staging, production)

    # the snapshot may see more kinds of objects over time: the expected keys are a minimum
    for side in ("added", "removed", "changed"):
        assert set(expected[side]) <= set(forward.snapshot_diff.keys()[side]), side
    assert forward.is_empty == (not expected.get("differs", any(expected.values())))
    # each side's SQL applied to it gives the other's state from before (one pair of databases)
    production_before, staging_before = _states(production, staging)
    _run(production.url, forward.sql)
    _run(staging.url, backward)
    production_after, staging_after = _states(production, staging)
    assert production_after[0] == staging_before[0], forward.sql
    assert production_after[1] == staging_before[1], forward.sql
    assert staging_after[0] == production_before[0], backward
    assert staging_after[1] == production_before[1], backward


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
