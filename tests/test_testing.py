"""nivomigrate.testing: pytest-alembic's built-in tests run in another team's project with the
`[dev]` extra's pinned versions, against that project's own models (not NivoStack's)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.adopter_project import make_adopter_project

CONFTEST = "from nivomigrate.testing import alembic_config, alembic_engine  # noqa: F401\n"


def _pytest_alembic(root: Path, shadow_url: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "NIVOMIGRATE_SHADOW_URL": shadow_url}
    environ.pop("PYTEST_ADDOPTS", None)
    return subprocess.run([sys.executable, "-m", "pytest", "--test-alembic", "-q", "-p",
                           "no:cacheprovider"], cwd=root, env=environ, capture_output=True,
                          text=True, timeout=300)


def _project(tmp_path: Path) -> Path:
    root = make_adopter_project(tmp_path / "shop")
    (root / "tests").mkdir()
    (root / "tests" / "conftest.py").write_text(CONFTEST)
    return root


def test_builtin_tests_pass_in_a_project_of_its_own(tmp_path, canary_admin_url):
    result = _pytest_alembic(_project(tmp_path), canary_admin_url)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    assert "_nodeid" not in result.stdout + result.stderr


def test_models_compared_are_the_projects_models_key(tmp_path, canary_admin_url):
    root = _project(tmp_path)
    with (root / "app" / "models.py").open("a") as models:
        models.write('Table("shelf", metadata, Column("id", Integer, primary_key=True))\n')

    result = _pytest_alembic(root, canary_admin_url)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "test_model_definitions_match_ddl" in result.stdout
    assert "shelf" in result.stdout
    assert "ProjectMember" not in result.stdout  # NivoStack's tables are not in sight
