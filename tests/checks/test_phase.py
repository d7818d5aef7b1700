"""phase: an expand or a contract, never both, and never one declared as the other.

The revisions are rendered offline (no database): the check reads their SQL and services.yaml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nivomigrate import migrations
from nivomigrate.checks import phase
from nivomigrate.checks.context import LintContext
from nivomigrate.checks.revision_sql import render_revision
from nivomigrate.config import load_settings
from nivomigrate.engine.phases import declare_phase
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Severity
from nivomigrate.policies.promotion import PromotionPolicy
from nivomigrate.policies.services import load_service_map

REPO = Path(__file__).resolve().parents[2]
REVISION = '''"""A pending revision."""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
{declared}

def upgrade() -> None:
{upgrade}


def downgrade() -> None:
    pass
'''
ADD = "    op.execute('ALTER TABLE \"Log\" ADD COLUMN \"level2\" TEXT')"
DROP = "    op.execute('ALTER TABLE \"Log\" DROP COLUMN \"level\"')"


@pytest.fixture(scope="module")
def versions(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("phase")
    shutil.copytree(REPO / "versions", root / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return root / "versions"


def _check(versions: Path, upgrade: str, declared: str | None = None):
    text = REVISION.format(declared=f'phase = "{declared}"\n' if declared else "",
                           upgrade=upgrade)
    (versions / "0003_pending.py").write_text(text)
    revision = next(r for r in migrations.revisions(versions) if r.id == "0003")
    context = LintContext(PromotionPolicy(), load_service_map(REPO / "policies"))
    return phase.check(render_revision(versions, revision), context)


def test_declared_expand_that_only_adds_is_ok(versions):
    assert _check(versions, ADD, "expand") == []


def test_declared_contract_that_drops_is_ok(versions):
    assert _check(versions, DROP, "contract") == []


def test_declared_revision_mixing_both_is_error(versions):
    found = _check(versions, ADD + "\n" + DROP, "contract")
    assert [f.severity for f in found] == [Severity.ERROR]
    assert "mixes expand (add column Log.level2) and contract (drop column Log.level)" in (
        found[0].message)


def test_undeclared_revision_mixing_both_is_only_a_warning(versions):
    found = _check(versions, ADD + "\n" + DROP)
    assert [f.severity for f in found] == [Severity.WARNING]


def test_expand_that_drops_is_error(versions):
    found = _check(versions, DROP, "expand")
    assert [f.severity for f in found] == [Severity.ERROR]
    assert 'declares phase = "expand" but contracts: drop column Log.level' in found[0].message


def test_contract_that_only_adds_is_error(versions):
    found = _check(versions, ADD, "contract")
    assert [f.severity for f in found] == [Severity.ERROR]


@pytest.mark.parametrize(("statement", "expected"), [
    ('ALTER TABLE "Log" ALTER COLUMN "tag" TYPE VARCHAR(20)', "contract"),   # narrowing
    ('ALTER TABLE "Log" ALTER COLUMN "lineNumber" TYPE BIGINT', "expand"),   # widening
    ('ALTER TABLE "Log" RENAME COLUMN "tag" TO "label"', "contract"),
    ('DROP TABLE "Log"', "contract"),
    # ingest inserts into Log without writing "createdAt" (services.yaml): old builds break
    ('ALTER TABLE "Log" ALTER COLUMN "createdAt" SET NOT NULL', "contract"),
    # every service inserting into Log writes "message"
    ('ALTER TABLE "Log" ALTER COLUMN "message" SET NOT NULL', "expand"),
    ('CREATE INDEX "Log_tag2_idx" ON "Log" ("tag")', "expand"),
])
def test_the_operations_imply_the_phase(versions, statement, expected):
    opposite = {"expand": "contract", "contract": "expand"}[expected]
    upgrade = f"    op.execute('''{statement}''')"
    assert _check(versions, upgrade, expected) == []
    assert [f.severity for f in _check(versions, upgrade, opposite)] == [Severity.ERROR]


def test_another_phase_value_is_a_config_error(versions):
    with pytest.raises(ConfigError, match="neither"):
        _check(versions, ADD, "shrink")


def test_the_revisions_in_versions_pass():
    context = LintContext(PromotionPolicy(), load_service_map(REPO / "policies"))
    for revision in migrations.revisions(REPO / "versions"):
        assert phase.check(render_revision(REPO / "versions", revision), context) == []


def test_revision_declares_the_phase_its_operations_imply(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(REPO / "versions", root / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "policies", root / "policies")
    shutil.copy(REPO / "nivomigrate.toml", root / "nivomigrate.toml")
    path = root / "versions" / "0003_pending.py"
    path.write_text(REVISION.format(declared="", upgrade=DROP))
    settings = load_settings(project_root=root, environ={"USER": "tester"})
    assert declare_phase(settings, path) == "contract"
    assert 'phase = "contract"' in path.read_text()
    revision = next(r for r in migrations.revisions(root / "versions") if r.id == "0003")
    assert phase.declared_phase(root / "versions", revision) == "contract"


def test_revision_says_to_split_a_mix_instead_of_declaring_it(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(REPO / "versions", root / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "policies", root / "policies")
    shutil.copy(REPO / "nivomigrate.toml", root / "nivomigrate.toml")
    path = root / "versions" / "0003_pending.py"
    path.write_text(REVISION.format(declared="", upgrade=ADD + "\n" + DROP))
    settings = load_settings(project_root=root, environ={"USER": "tester"})
    assert declare_phase(settings, path) is None
    assert "mixes expand and contract; split it" in path.read_text()
    assert "phase = " not in path.read_text()
