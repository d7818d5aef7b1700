"""signed-run: a `passed` staging run forged by staging's owner (right checksums, right
fingerprint, alembic_version moved by hand) does not promote a DELETE to prod when runs are
signed; a run signed with the key does. Played through the CLI, as CI and an attacker would."""

from __future__ import annotations

import json
import os

import psycopg
import pytest

from nivomigrate import ledger, migrations
from nivomigrate.db import Target, connect
from nivomigrate.snapshot import take_snapshot
from tests import forked_cli

KEY = "ci-7f3a9c21d4e8b6051a2f-c93e0d"
DELETE_REVISION = '''"""Delete every log (the statement a forged run lets through)."""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('DELETE FROM "Log"')


def downgrade() -> None:
    pass
'''
SEED = """
INSERT INTO "User" (id, email, password, "updatedAt") VALUES ('u1', 'a@b.c', 'x', now());
INSERT INTO "Project" (id, name, "apiKey", "userId", "updatedAt")
VALUES ('p1', 'demo', 'key-1', 'u1', now());
INSERT INTO "Log" (id, "projectId", message, level, timestamp)
SELECT 'l' || g, 'p1', 'hello', 'info', now() FROM generate_series(1, 1000) g;
"""


@pytest.fixture
def forged(project):
    """Prod holds 1000 logs; revision 0003 deletes them; staging's owner forged its run."""
    with psycopg.connect(project.urls["prod"], autocommit=True) as conn:
        conn.execute(SEED)
    head = project.head()
    revision_id = f"{int(head) + 1:04d}"
    (project.root / "versions" / f"{revision_id}_delete_logs.py").write_text(
        DELETE_REVISION.format(id=revision_id, down=head))
    versions = project.root / "versions"
    [revision] = [r for r in migrations.with_sql_checksums(
        versions, migrations.revisions(versions)) if r.id == revision_id]
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute("update alembic_version set version_num = %s", (revision_id,))
    with connect(Target("staging", project.urls["staging"]), writes=True) as conn:
        ledger.ensure_ledger(conn)
        fingerprint = take_snapshot(conn).fingerprint
        conn.execute(
            "insert into nivomigrate.runs (kind, environment, from_revision, to_revision,"
            " revisions, fingerprint_before, fingerprint_after, actor, status, signature)"
            " values ('apply', 'staging', %s, %s, %s, %s, %s, 'ci:github', 'passed', %s)",
            (head, revision_id, json.dumps(ledger.revision_entries([revision])), fingerprint,
             fingerprint, "v1:" + "0" * 64))
    return project


def _nivomigrate(project, *args: str, key: str | None = None):
    env = {**os.environ, **project.environ}
    env.pop("NIVOMIGRATE_LEDGER_KEY", None)
    if key:
        env["NIVOMIGRATE_LEDGER_KEY"] = key
    return forked_cli.run(*args, cwd=project.root, env=env, timeout=600)


def _logs(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute('select count(*) from "Log"').fetchone()[0]


def _require_signed(project) -> None:
    policy = project.root / "policies" / "promotion.yaml"
    policy.write_text(policy.read_text() + "\nrequire_signed_runs: true\n")


def test_forged_run_is_refused_with_the_key_and_prod_keeps_its_rows(forged):
    done = _nivomigrate(forged, "promote", "prod", "--format", "json", key=KEY)
    assert done.returncode == 3, done.stderr
    report = json.loads(done.stdout)
    [finding] = [f for f in report["findings"] if f["check"] == "signed-run"]
    assert "has no valid signature of the ledger key" in finding["message"]
    assert _logs(forged.urls["prod"]) == 1000
    assert KEY not in done.stdout + done.stderr


def test_forged_run_is_refused_without_the_key_when_the_policy_requires_signed_runs(forged):
    _require_signed(forged)
    done = _nivomigrate(forged, "promote", "prod")
    assert done.returncode == 2, done.stderr
    assert "require_signed_runs is true but NIVOMIGRATE_LEDGER_KEY is not set" in done.stdout
    assert _logs(forged.urls["prod"]) == 1000


def test_a_run_whose_claims_the_catalog_contradicts_is_refused_without_any_key(forged):
    """Independently of the key: staging's alembic_version must be the run's head."""
    head = forged.head()
    with psycopg.connect(forged.urls["staging"], autocommit=True) as conn:
        conn.execute("update alembic_version set version_num = %s", (f"{int(head) - 1:04d}",))
    done = _nivomigrate(forged, "promote", "prod", "--format", "json")
    assert done.returncode == 3, done.stderr
    assert "staging-changed" in {f["check"] for f in json.loads(done.stdout)["findings"]}
    assert _logs(forged.urls["prod"]) == 1000


def test_a_run_signed_with_the_key_promotes_and_the_key_never_shows(forged):
    _require_signed(forged)
    with psycopg.connect(forged.urls["staging"], autocommit=True) as conn:  # undo the forgery
        conn.execute("delete from nivomigrate.runs")
        conn.execute("update alembic_version set version_num = %s",
                     (f"{int(forged.head()) - 1:04d}",))
    applied = _nivomigrate(forged, "apply", "staging", "--format", "json", key=KEY)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    wrong = _nivomigrate(forged, "promote", "prod", "--dry-run", "--format", "json",
                         key=KEY[::-1])
    assert wrong.returncode == 3 and "signed-run" in wrong.stdout  # another key: not trusted
    promoted = _nivomigrate(forged, "promote", "prod", "--format", "json", key=KEY)
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert _logs(forged.urls["prod"]) == 0
    history = _nivomigrate(forged, "history", "staging", "--format", "json", key=KEY)
    for env in ("staging", "prod"):
        with psycopg.connect(forged.urls[env]) as conn:
            rows = conn.execute("select r::text from nivomigrate.runs r").fetchall()
            assert all("v1:" in row[0] for row in rows)  # every run signed
            assert not any(KEY in row[0] for row in rows)
    outputs = [done.stdout + done.stderr for done in (applied, promoted, history)]
    assert not any(KEY in text for text in outputs)
