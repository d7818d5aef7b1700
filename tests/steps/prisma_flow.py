"""A project whose schema.prisma is kept with nivomigrate, played through the CLI in git.

Shared by the tests that change schema.prisma or the models and take the change to prod:
one project per test module (its staging and prod made once), commands run as a user runs
them (`python -m nivomigrate ...` in the project folder).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from nivomigrate import shadow
from tests import forked_cli
from tests.prisma.conftest import NIVOSTACK_SCHEMA, require_prisma
from tests.steps.conftest import Project, copy_project

GIT = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
       "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}


def run(project: Project, *arguments: str) -> subprocess.CompletedProcess:
    """Run `nivomigrate ARGUMENTS` in the project as a user would."""
    environ = {**project.environ, **GIT, "PATH": os.environ.get("PATH", os.defpath),
               "HOME": str(project.root)}
    return forked_cli.run(*arguments, cwd=project.root, env=environ)


def ok(project: Project, *arguments: str) -> str:
    result = run(project, *arguments)
    assert result.returncode == 0, (arguments, result.stdout[-4000:], result.stderr[-3000:])
    return result.stdout


def git(project: Project, *arguments: str) -> str:
    return subprocess.run(["git", *arguments], cwd=project.root, check=True, text=True,
                          capture_output=True, env={**os.environ, **GIT}).stdout


@pytest.fixture(scope="module")
def module_databases(canary_admin_url, dropper, head_template):
    """Make databases (from head's template, or `template`) kept for the module, then dropped."""
    created = []

    def make(prefix: str, template: str | None = None) -> str:
        name = shadow.scratch_name(prefix)
        created.append(name)
        return shadow.create_database(canary_admin_url, name, template or head_template)

    yield make
    for name in created:
        dropper.drop(canary_admin_url, name)


def prisma_project(folder, urls: dict[str, str], shadow_url: str) -> Project:
    """The project copy with `prisma_schema` set, schema.prisma written at head by
    `nivomigrate prisma write`, all committed in a new git repository."""
    require_prisma()
    root = copy_project(folder)
    shutil.copy(NIVOSTACK_SCHEMA, root / "schema.prisma")
    config = root / "nivomigrate.toml"
    config.write_text('prisma_schema = "schema.prisma"\n' + config.read_text())
    project = Project(root, urls, shadow_url)
    ok(project, "prisma", "write")
    (root / ".gitignore").write_text("__pycache__/\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-qm", "nivomigrate at head")
    return project


def promote_all(project: Project) -> None:
    """The merge gate, apply staging and promote prod pass, then every agreement holds.
    (`lint` is not run apart: the merge gate runs every lint check on the revision.)"""
    for command in (["plan", "all", "--gate", "merge"], ["apply", "staging"],
                    ["promote", "prod"], ["diff", "staging", "prod"], ["check"],
                    ["prisma", "check"]):
        ok(project, *command)
