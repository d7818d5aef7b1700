"""`nivomigrate rollback` through the CLI on real databases: staging first, then prod, prod
equal to what it was before the promotion; a one-way revision gives the recovery steps."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg

from nivomigrate.snapshot import take_snapshot
from tests.engine.test_way_back import ADD_NICKNAME, DROP_NICKNAME, cli, seed_users, write_revision
from tests.report_schema import schema_errors


def _state(url: str) -> tuple[str, str, list]:
    """The schema fingerprint, the revision and every row of the surviving table."""
    with psycopg.connect(url) as conn:
        rows = conn.execute('select md5(u::text) from "User" u order by 1').fetchall()
        revision = conn.execute("select version_num from alembic_version").fetchone()[0]
        return take_snapshot(conn).fingerprint, revision, rows


def _runs(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select id, kind, status, from_revision, to_revision, staging_run_id"
                            " from nivomigrate.runs where kind = 'rollback' order by id"
                            ).fetchall()


def _json(result) -> dict:
    report = json.loads(result.stdout)
    assert schema_errors(report) == []
    return report


def test_rollback_runs_through_staging_then_prod_and_restores_prod(project):
    for env in ("staging", "prod"):
        seed_users(project.urls[env])
    before = _state(project.urls["prod"])
    revision = write_revision(project, "nickname", ADD_NICKNAME, DROP_NICKNAME)
    assert cli(project, "apply", "staging").returncode == 0
    assert cli(project, "promote", "prod").returncode == 0
    with psycopg.connect(project.urls["prod"], autocommit=True) as conn:
        conn.execute('update "User" set "nickname" = null')  # written, and nothing kept in it

    refused = cli(project, "rollback", "prod", "--format", "json")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "staging has no passed rollback of " + revision in refused.stdout
    assert _state(project.urls["prod"])[1] == revision

    staging = cli(project, "rollback", "staging", "--format", "json")
    assert staging.returncode == 0, staging.stdout + staging.stderr
    assert _json(staging)["data"]["way_back"][0]["verdict"] == "proven"
    production = cli(project, "rollback", "prod", "--format", "json")
    assert production.returncode == 0, production.stdout + production.stderr
    _json(production)

    assert _state(project.urls["prod"]) == before
    (staging_run,) = _runs(project.urls["staging"])
    (prod_run,) = _runs(project.urls["prod"])
    assert staging_run[1:5] == ("rollback", "passed", revision, before[1])
    assert prod_run[1:5] == ("rollback", "passed", revision, before[1])
    assert prod_run[5] == staging_run[0]


def test_one_way_revision_gives_the_recovery_steps_with_the_restore_point(project):
    write_revision(project, "nickname_kept", ADD_NICKNAME, None,
                   module='one_way = "the nicknames are kept"\n')
    assert cli(project, "apply", "staging").returncode == 0
    assert cli(project, "promote", "prod").returncode == 0

    result = cli(project, "rollback", "prod", "--format", "json")

    assert result.returncode == 1, result.stdout + result.stderr
    report = _json(result)
    point = report["data"]["restore_point"]
    steps = next(s["text"] for s in report["sections"] if s["title"] == "Recovery steps")
    assert point["server_time"] in steps and point["wal_lsn"] in steps
    dump = point["way_back"]  # promote saved the touched table with pg_dump just before
    assert dump["kind"] == "pg_dump" and dump["tables"] == ["public.User"]
    assert Path(dump["path"]).is_file() and Path(dump["path"]).name in steps
    assert "is one-way (the nicknames are kept)" in report["findings"][0]["message"]
    assert _runs(project.urls["prod"]) == []
