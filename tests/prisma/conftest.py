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
from tests.conftest import CACHE_DIR

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "prisma"
NIVOSTACK_SCHEMA = FIXTURES / "nivostack_schema.prisma"


def require_prisma() -> None:
    """Skip (fail in CI) when node or the pinned Prisma CLI is missing."""
    installed = (REPO / TOOL_DIR / "node_modules" / "prisma" / "build" / "index.js").is_file()
    servers.skip_unless(shutil.which("node") and installed,
                        f"the pinned Prisma CLI is not installed: {INSTALL_COMMAND}")


def cli_for(server_url: str) -> PrismaCli:
    """The pinned CLI, its driver adapter pointed at `server_url`."""
    require_prisma()
    return find_cli(REPO, server_url, {"PATH": os.environ.get("PATH", os.defpath)})


def settings_for(root: Path, shadow_url: str):
    """The configuration of the project at `root`, its shadow server `shadow_url`."""
    require_prisma()
    return load_settings(project_root=root, environ={
        "NIVOMIGRATE_SHADOW_URL": shadow_url, "PATH": os.environ.get("PATH", os.defpath),
        "NIVOMIGRATE_CACHE_DIR": str(CACHE_DIR)})


@pytest.fixture
def prisma_cli(pg_admin_url: str) -> PrismaCli:
    return cli_for(pg_admin_url)


@pytest.fixture
def head_settings(canary_admin_url: str):
    """The repo's own configuration, its shadow server the tests' server."""
    return settings_for(REPO, canary_admin_url)
