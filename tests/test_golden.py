"""The reports users and CI read stay the same across refactors: `lint`, `plan` and `coverage`
as JSON, for every revision in versions/ and for the tests' own pending revision, compared with
files written by the code before the engine/checks reshaping (tests/golden/). Differences a
change makes on purpose are rewritten with NIVOMIGRATE_WRITE_GOLDEN=1 and named in its commit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy

from nivomigrate import migrations
from tests import forked_cli

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
NICKNAME = '''"""Add a nickname to devices."""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('ALTER TABLE "Device" ADD COLUMN "nickname" TEXT')
    op.execute('CREATE INDEX "Device_nickname_idx" ON "Device" ("nickname")')


def downgrade() -> None:
    op.execute('ALTER TABLE "Device" DROP COLUMN "nickname"')
'''
COMMANDS = {"lint": ["lint", "--format", "json"], "plan": ["plan", "--format", "json"],
            "coverage": ["coverage", "staging", "--format", "json"]}


def _project(tmp_path: Path, pending: str) -> Path:
    root = tmp_path / "project"
    shutil.copytree(REPO / "versions", root / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "policies", root / "policies")
    shutil.copy(REPO / "nivomigrate.toml", root / "nivomigrate.toml")
    if pending == "0003":
        (root / "versions" / "0003_nickname.py").write_text(NICKNAME)
    return root


def _at(url: str, versions: Path, revision: str | None) -> None:
    if revision is None:
        return
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        migrations.upgrade(versions, conn, revision)
        conn.commit()
    engine.dispose()


def _normalised(text: str, names: dict[str, str]) -> dict:
    for value, placeholder in names.items():
        text = text.replace(value, placeholder)
    text = re.sub(r"nivo_canary_\d+", "<role>", text)
    text = re.sub(r"127\.0\.0\.1:\d+", "<host>", text)
    return json.loads(text)


@pytest.mark.parametrize("pending", ["0001", "0002", "0003"])
def test_reports_match_the_golden_files(pending, tmp_path, make_database, canary_admin_url):
    root = _project(tmp_path, pending)
    chain = [r.id for r in migrations.revisions(root / "versions")]
    before = chain[chain.index(pending) - 1] if chain.index(pending) else None
    urls = {env: make_database(f"nivo_golden_{env}") for env in ("staging", "prod")}
    for url in urls.values():
        _at(url, root / "versions", before)
    environ = {**os.environ, "STAGING_POSTGRES_URL_NON_POOLING": urls["staging"],
               "PROD_POSTGRES_URL_NON_POOLING": urls["prod"],
               "NIVOMIGRATE_SHADOW_URL": canary_admin_url, "USER": "tester", "NO_COLOR": "1"}
    names = {urls["staging"].rsplit("/", 1)[1]: "<staging-db>",
             urls["prod"].rsplit("/", 1)[1]: "<prod-db>", str(root): "<project>"}
    for command, argv in COMMANDS.items():
        result = forked_cli.run(*argv, cwd=root, env=environ, timeout=300)
        assert result.stdout.strip(), result.stderr
        report = _normalised(result.stdout, names)
        golden = GOLDEN / f"{pending}.{command}.json"
        if os.environ.get("NIVOMIGRATE_WRITE_GOLDEN"):
            golden.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        assert report == json.loads(golden.read_text()), f"{golden.name} differs"
        assert result.returncode == report["data"]["exit_code"]
