"""The merge gate with `prisma_schema` configured: a revision without the matching
schema.prisma change is blocked until `prisma write`, and a schema.prisma change without a
revision is blocked until `revision --from-prisma`; each hint, followed, passes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nivomigrate.progress import Progress
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.prisma import write_prisma
from tests import forked_cli
from tests.prisma.conftest import NIVOSTACK_SCHEMA, REPO, settings_for

QUIET = Progress(quiet=True)
INDEX_REVISION = '''"""Index Log by level and time."""
from nivomigrate.ops import create_index_concurrently, drop_index_concurrently

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_index_concurrently("Log_level_timestamp_idx", "Log", ['"level"', '"timestamp"'])


def downgrade() -> None:
    drop_index_concurrently("Log_level_timestamp_idx")
'''

NOOP_REVISION = '''"""Touch no schema."""
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
'''


@pytest.fixture(scope="module")
def schema_at_head(tmp_path_factory, canary_admin_url) -> str:
    """NivoStack's schema.prisma with the attributes of the repo's head."""
    path = tmp_path_factory.mktemp("prisma") / "schema.prisma"
    shutil.copy(NIVOSTACK_SCHEMA, path)
    write_prisma(settings_for(REPO, canary_admin_url), path)
    return path.read_text()


@pytest.fixture
def prisma_project(project, schema_at_head):
    """The project copy, its schema.prisma at head and named in nivomigrate.toml."""
    (project.root / "schema.prisma").write_text(schema_at_head)
    config = project.root / "nivomigrate.toml"
    config.write_text('prisma_schema = "schema.prisma"\n' + config.read_text())
    return project


def _prisma_findings(project):
    report = make_plan(project.settings(), "all", gate="merge", progress=QUIET)
    others = [f for f in report.findings if f.is_blocking
              and f.check not in {"prisma-schema", "models-match-revisions"}]
    assert others == [], others
    return [f for f in report.findings if f.check == "prisma-schema"], report


def test_revisions_without_schema_prisma_are_blocked_until_prisma_write(prisma_project):
    # Two revisions in one pull request: the index is in the first, the second does nothing.
    versions = prisma_project.root / "versions"
    (versions / "0003_log_level.py").write_text(INDEX_REVISION)
    (versions / "0004_noop.py").write_text(NOOP_REVISION)
    findings, report = _prisma_findings(prisma_project)
    assert report.exit_code == 1
    (finding,) = findings
    assert finding.is_blocking
    assert finding.message == ("schema.prisma is behind revision 0004: model Log: "
                               "add @@index([level, timestamp])")
    assert finding.help == ("run `nivomigrate prisma write` and commit schema.prisma (or, if "
                            "schema.prisma is right: `nivomigrate revision --from-prisma`)")
    report = write_prisma(prisma_project.settings(), None)
    assert report.exit_code == 0
    assert "@@index([level, timestamp])" in (prisma_project.root / "schema.prisma").read_text()
    assert _prisma_findings(prisma_project)[0] == []


def test_schema_prisma_change_without_revision_is_blocked_until_revision_from_prisma(
        prisma_project):
    schema = prisma_project.root / "schema.prisma"
    text = schema.read_text()
    log_index = "  @@index([projectId, timestamp])\n}\n\nmodel Crash"
    assert log_index in text
    schema.write_text(text.replace(log_index, "  @@index([projectId, timestamp])\n"
                                   "  @@index([level, timestamp])\n}\n\nmodel Crash"))
    findings, report = _prisma_findings(prisma_project)
    (finding,) = findings
    assert finding.message == ("schema.prisma changed without a revision (revision 0002 does "
                               "not have it): model Log: added @@index([level, timestamp])")
    assert finding.help == ("run `nivomigrate revision --from-prisma` and commit the new "
                            "revision and the models")
    result = forked_cli.run(
        "revision", "--from-prisma", cwd=prisma_project.root,
        env={"NIVOMIGRATE_SHADOW_URL": prisma_project.shadow_url,
             "PATH": os.environ.get("PATH", os.defpath), "HOME": str(prisma_project.root)})
    assert result.returncode == 0, result.stdout + result.stderr
    (written,) = (prisma_project.root / "versions").glob("0003_*.py")
    assert f"wrote {written.relative_to(prisma_project.root)}" in result.stdout
    source = written.read_text()
    assert "create_index_concurrently(" in source and "Log_level_timestamp_idx" in source
    assert "drop_index_concurrently('Log_level_timestamp_idx')" in source
    assert "prisma write` renders of head" in source
    assert _prisma_findings(prisma_project)[0] == []


def test_revision_from_prisma_refuses_when_nothing_differs(prisma_project):
    from nivomigrate.errors import ConfigError
    from nivomigrate.steps.prisma import revision_from_prisma

    with pytest.raises(ConfigError) as refused:
        revision_from_prisma(prisma_project.settings(), None, None)
    assert refused.value.exit_code == 2
    assert "already agree" in refused.value.message
    assert list((prisma_project.root / "versions").glob("0003_*.py")) == []


def test_unconfigured_prisma_schema_adds_nothing_to_the_gate(project):
    from nivomigrate.steps.prisma import prisma_findings

    assert project.settings().prisma_schema is None
    assert prisma_findings(project.settings()) == []


def test_schema_path_is_relative_to_the_configuration(prisma_project):
    assert prisma_project.settings().prisma_schema == Path(prisma_project.root) / "schema.prisma"
