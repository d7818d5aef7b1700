"""A project copy with one pending revision, and staging/prod databases at the repo's head."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nivomigrate import migrations
from nivomigrate.config import load_settings
from nivomigrate.engine.build import ensure_template
from tests.conftest import CACHE_DIR

REPO = Path(__file__).resolve().parents[2]

PENDING_REVISION = '''"""Add a nickname to devices."""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('ALTER TABLE "Device" ADD COLUMN "nickname" TEXT')
    {extra}


def downgrade() -> None:
    op.execute('ALTER TABLE "Device" DROP COLUMN "nickname"')
'''


class Project:
    """A temporary copy of the project, its databases, and its settings."""

    def __init__(self, root: Path, urls: dict[str, str], shadow_url: str):
        self.root, self.urls, self.shadow_url = root, urls, shadow_url

    @property
    def environ(self) -> dict[str, str]:
        return {"STAGING_POSTGRES_URL_NON_POOLING": self.urls["staging"],
                "PROD_POSTGRES_URL_NON_POOLING": self.urls["prod"],
                "NIVOMIGRATE_SHADOW_URL": self.shadow_url, "USER": "tester",
                "NIVOMIGRATE_CACHE_DIR": str(CACHE_DIR)}

    def settings(self):
        return load_settings(project_root=self.root, environ=self.environ)

    def head(self) -> str:
        return migrations.head(self.root / "versions")

    def add_revision(self, extra: str = "", name: str = "nickname") -> Path:
        head = migrations.head(self.root / "versions")
        revision_id = f"{int(head) + 1:04d}"
        path = self.root / "versions" / f"{revision_id}_{name}.py"
        path.write_text(PENDING_REVISION.format(id=revision_id, down=head, extra=extra or "pass"))
        return path


@pytest.fixture(scope="session")
def head_template(canary_admin_url: str) -> str:
    versions = REPO / "versions"
    return ensure_template(canary_admin_url, versions, migrations.head(versions))


# The repository's models package, copied under its own name into a project copy.
COPIED_MODELS = "nivostack_models"


def copy_project(tmp_path: Path) -> Path:
    """Copy the project's configuration, revisions, policies and models into a fresh folder."""
    root = tmp_path / "project"
    root.mkdir()
    shutil.copytree(REPO / "versions", root / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "policies", root / "policies")
    copy_config_and_models(root)
    return root


def copy_config_and_models(root: Path) -> None:
    """Copy nivomigrate.toml and the models (`COPIED_MODELS`, named in the toml)."""
    shutil.copytree(REPO / COPIED_MODELS, root / COPIED_MODELS,
                    ignore=shutil.ignore_patterns("__pycache__"))
    config = (REPO / "nivomigrate.toml").read_text()
    (root / "nivomigrate.toml").write_text(config)


@pytest.fixture
def project(tmp_path, make_database, head_template, canary_admin_url) -> Project:
    urls = {env: make_database(f"nivo_{env}", template=head_template)
            for env in ("staging", "prod")}
    return Project(copy_project(tmp_path), urls, canary_admin_url)
