"""nivomigrate revision -m: autogenerate against the shadow database at head, in a project copy.

The models are the copy's own (`models =`): most tests make head differ from them with a
revision of their own (one that drops an index the models keep, or adds a check constraint
they do not have); one edits the copied models.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nivomigrate import migrations
from nivomigrate.config import load_settings
from nivomigrate.engine.models import model_findings
from nivomigrate.errors import ConfigError
from nivomigrate.migrations import next_revision_id
from nivomigrate.steps.revision import write_revision
from tests import forked_cli
from tests.steps.conftest import copy_config_and_models

REPO = Path(__file__).resolve().parents[2]

HEAD_CHANGE = '''"""{message}"""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute({upgrade!r})


def downgrade() -> None:
    op.execute({downgrade!r})
'''


@pytest.fixture
def project(tmp_path, canary_admin_url) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "versions", root / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    copy_config_and_models(root)
    return root


def _settings(root: Path, shadow_url: str):
    return load_settings(project_root=root, environ={"NIVOMIGRATE_SHADOW_URL": shadow_url})


def _change_head(root: Path, message: str, upgrade: str, downgrade: str) -> str:
    versions = root / "versions"
    head = migrations.head(versions)
    revision_id = next_revision_id(versions)
    (versions / f"{revision_id}_head_change.py").write_text(HEAD_CHANGE.format(
        message=message, id=revision_id, down=head, upgrade=upgrade, downgrade=downgrade))
    return revision_id


def test_models_ahead_of_head_give_the_next_sortable_revision(project, canary_admin_url):
    changed = _change_head(project, "Drop an index the models keep.",
                           'DROP INDEX "Plan_isActive_idx"',
                           'CREATE INDEX "Plan_isActive_idx" ON "Plan"("isActive")')
    settings = _settings(project, canary_admin_url)

    path = write_revision(settings, "Restore the plan index")

    assert path == project / "versions" / f"{int(changed) + 1:04d}_restore_the_plan_index.py"
    text = path.read_text()
    # Written through the online helper, the name and the key plain (the helper quotes them).
    assert "create_index_concurrently('Plan_isActive_idx', 'Plan', ['isActive'])" in text
    assert "from nivomigrate.ops import create_index_concurrently" in text
    assert migrations.head(settings.versions_dir) == path.name[:4]
    assert migrations.revisions(settings.versions_dir)[-1].down_revision == changed
    # The round trip: with the written revision, the models and head agree again.
    assert model_findings(settings) == []


def test_models_equal_to_head_are_refused(project, canary_admin_url):
    before = sorted(p.name for p in (project / "versions").glob("*.py"))

    with pytest.raises(ConfigError, match="already agree"):
        write_revision(_settings(project, canary_admin_url), "Nothing to do")

    assert sorted(p.name for p in (project / "versions").glob("*.py")) == before


def test_difference_autogenerate_cannot_see_writes_no_file(project, canary_admin_url):
    _change_head(project, "An index comment the models lack.",
                 'COMMENT ON INDEX "Plan_isActive_idx" IS \'plans on sale\'',
                 'COMMENT ON INDEX "Plan_isActive_idx" IS NULL')
    before = sorted(p.name for p in (project / "versions").glob("*.py"))

    with pytest.raises(ConfigError, match="autogenerate found no operation") as refusal:
        write_revision(_settings(project, canary_admin_url), "Comment an index")

    assert "Plan_isActive_idx" in refusal.value.message
    assert sorted(p.name for p in (project / "versions").glob("*.py")) == before


def test_empty_message_is_refused(project, canary_admin_url):
    with pytest.raises(ConfigError, match="message is empty"):
        write_revision(_settings(project, canary_admin_url), "  ")


def test_cli_prints_only_the_written_path(project, canary_admin_url):
    _change_head(project, "Drop an index the models keep.", 'DROP INDEX "Plan_isPublic_idx"',
                 'CREATE INDEX "Plan_isPublic_idx" ON "Plan"("isPublic")')
    env = {**os.environ, "NIVOMIGRATE_SHADOW_URL": canary_admin_url}

    result = forked_cli.run("revision", "-m", "Plan index", cwd=project, env=env, timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote ") and result.stdout.count("\n") == 1
    assert result.stdout.strip().endswith("_plan_index.py")
    again = forked_cli.run("revision", "-m", "Again", cwd=project, env=env, timeout=120)
    assert again.returncode == 2 and "already agree" in again.stderr
    assert "Traceback" not in again.stderr
