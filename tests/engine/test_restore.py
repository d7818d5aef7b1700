"""Before a lossy promotion: the certificate shown, and a usable restore point made first (a
pg_dump of the touched tables), or the promotion refused; on real databases, through the CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import psycopg

from nivomigrate.engine.restore import pg_dump_binary, supabase_project_ref
from tests.engine.test_way_back import ADD_NICKNAME, DROP_NICKNAME, cli, seed_users, write_revision


def _set_dump_limit(project, limit: int) -> None:
    path = project.root / "policies" / "promotion.yaml"
    text = path.read_text()
    start = text.index("  max_dump_bytes:")
    end = text.index("\n", start)
    path.write_text(text[:start] + f"  max_dump_bytes: {limit}" + text[end:])


def _one_way_errors(report: dict) -> list[str]:
    return [f["message"] for f in report["findings"]
            if f["check"] == "one-way" and f["severity"] == "error"]


def test_lossy_promotion_needs_a_usable_restore_point_then_dumps_the_touched_table(project):
    for env in ("staging", "prod"):
        seed_users(project.urls[env])
    write_revision(project, "nickname_filled",
                   ADD_NICKNAME + ['UPDATE "User" SET "nickname" = "email"'], DROP_NICKNAME)
    assert cli(project, "apply", "staging").returncode == 0
    _set_dump_limit(project, 0)

    plan = cli(project, "plan", "prod", "--gate", "promote", "--format", "json")
    refused = cli(project, "promote", "prod", "--format", "json")

    for result in (plan, refused):
        assert result.returncode == 1, result.stdout + result.stderr
        report = json.loads(result.stdout)
        (message,) = _one_way_errors(report)
        assert "has no usable restore point" in message and "max_dump_bytes (0)" in message
    certificates = json.loads(refused.stdout)["data"]["way_back"]
    assert [c["verdict"] for c in certificates] == ["lossy"]
    assert "lossy" in plan.stdout

    _set_dump_limit(project, 100 << 20)
    promoted = cli(project, "promote", "prod", "--format", "json")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    with psycopg.connect(project.urls["prod"]) as conn:
        point = conn.execute("select restore_point from nivomigrate.runs where kind = 'promote'"
                             " order by id desc limit 1").fetchone()[0]
    dump = point["way_back"]
    assert dump["kind"] == "pg_dump" and dump["tables"] == ["public.User"]
    listing = subprocess.run([str(pg_dump_binary().with_name("pg_restore")), "--list",
                              dump["path"]], capture_output=True, text=True, check=True).stdout
    assert 'TABLE DATA public "User"' in listing or "TABLE DATA public User" in listing
    assert Path(dump["path"]).parent == project.root / ".nivomigrate" / "restore"


def test_supabase_project_ref_is_read_from_the_direct_host_or_the_pooler_user():
    assert supabase_project_ref("db.abcdefgh.supabase.co", "postgres") == "abcdefgh"
    assert supabase_project_ref("aws-0-eu.pooler.supabase.com", "postgres.abcdefgh") == "abcdefgh"
    assert supabase_project_ref("127.0.0.1", "postgres") is None
