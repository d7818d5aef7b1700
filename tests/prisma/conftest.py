"""The pinned Prisma CLI (tools/prisma, installed by .ci/run) and settings at the repo's head.

Without the CLI the tests skip, except in CI, where they fail: see .ci/run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nivomigrate.config import load_settings
from nivomigrate.prisma.render import INSTALL_COMMAND, TOOL_DIR, PrismaCli, find_cli
from tests import servers

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "prisma"
NIVOSTACK_SCHEMA = FIXTURES / "nivostack_schema.prisma"


def require_prisma() -> None:
    """Skip (fail in CI) when node or the pinned Prisma CLI is missing."""
    installed = (REPO / TOOL_DIR / "node_modules" / "prisma" / "build" / "index.js").is_file()
    servers.skip_unless(shutil.which("node") and installed,
                        f"the pinned Prisma CLI is not installed: {INSTALL_COMMAND}")


@pytest.fixture
def prisma_cli(pg_admin_url: str) -> PrismaCli:
    require_prisma()
    return find_cli(REPO, pg_admin_url, {"PATH": os.environ.get("PATH", os.defpath)})


@pytest.fixture
def head_settings(canary_admin_url: str):
    """The repo's own configuration, its shadow server the tests' server."""
    require_prisma()
    return load_settings(project_root=REPO, environ={
        "NIVOMIGRATE_SHADOW_URL": canary_admin_url,
        "PATH": os.environ.get("PATH", os.defpath)})
