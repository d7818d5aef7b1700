"""Each hint names a command that works in the state that printed it: the hint's command is
run, through the CLI as a user would, and exits 0 (plan's baseline, doctor's next command,
drift's undo-and-revision, diff's "equal", and the Prisma hints of `prisma check` and the merge
gate on a schema.prisma change: the command they name, then a commit, and the change reaches
prod)."""

from __future__ import annotations

import os
import re
import subprocess

import psycopg
import pytest

from tests import forked_cli
from tests.steps.conftest import Project, copy_project
from tests.steps.prisma_flow import git, module_databases, prisma_project, promote_all, run
from tests.steps.test_baseline import prisma_template  # noqa: F401
from tests.steps.test_prisma_change_kinds import add_lines

__all__ = ["module_databases"]  # the fixture the Prisma project uses


def _run(project: Project, *args: str) -> subprocess.CompletedProcess:
    return forked_cli.run(*args, cwd=project.root, env={**os.environ, **project.environ},
                          timeout=300)


def _hinted(project: Project, command: str) -> subprocess.CompletedProcess:
    """Run a command as printed (`nivomigrate baseline prod`)."""
    words = command.split()
    assert words[0] == "nivomigrate", command
    return _run(project, *words[1:])


@pytest.fixture
def unversioned(tmp_path, make_database, prisma_template, canary_admin_url) -> Project:  # noqa: F811
    """Staging and prod made by Prisma, with no revision recorded."""
    urls = {env: make_database(f"nivo_{env}", template=prisma_template)
            for env in ("staging", "prod")}
    return Project(copy_project(tmp_path), urls, canary_admin_url)


def test_plan_of_unversioned_databases_says_baseline_first_and_prints_no_ddl(unversioned):
    planned = _run(unversioned, "plan")

    assert planned.returncode == 3, planned.stdout + planned.stderr
    first_section = planned.stdout.split("\n\n")[1]
    assert "Adopt staging first: nivomigrate baseline staging" in first_section
    assert "CREATE TABLE" not in planned.stdout
    assert len(planned.stdout.splitlines()) < 60
    for command in re.findall(r"Adopt \w+ first: (nivomigrate baseline \w+)", planned.stdout):
        adopted = _hinted(unversioned, command)
        assert adopted.returncode == 0, adopted.stdout + adopted.stderr

    replanned = _run(unversioned, "plan", "staging")

    assert replanned.returncode == 0, replanned.stdout + replanned.stderr
    assert "-- step 1: outside a transaction" in replanned.stdout
    assert "BEGIN;" not in replanned.stdout and "COMMIT;" not in replanned.stdout


def test_doctor_names_the_next_command_and_it_works(unversioned, make_database):
    unversioned.urls["staging"] = make_database("nivo_empty")  # an empty staging

    examined = _run(unversioned, "doctor")

    assert examined.returncode == 0, examined.stdout + examined.stderr
    hints = dict(re.findall(r"next for (\w+): (nivomigrate [\w ]+)", examined.stdout))
    assert hints == {"staging": "nivomigrate apply staging", "prod": "nivomigrate baseline prod"}
    for command in hints.values():
        followed = _hinted(unversioned, command)
        assert followed.returncode == 0, command + followed.stdout + followed.stderr
    assert "next for" not in _run(unversioned, "doctor").stdout


def test_drift_hint_undo_then_revision_from_the_models_then_apply(project):
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute('ALTER TABLE "Device" ADD COLUMN "nickname" TEXT')
    planned = _run(project, "plan", "staging")
    assert planned.returncode == 3, planned.stdout + planned.stderr
    assert "undo it on staging; to keep the change, declare it in the models too" in planned.stdout
    assert 'nivomigrate revision -m "..."' in planned.stdout

    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute('ALTER TABLE "Device" DROP COLUMN "nickname"')  # undo it on staging
    models = project.root / "nivostack_models" / "ingest.py"
    models.write_text(models.read_text().replace(
        "    userName: Mapped[str | None]\n",
        "    userName: Mapped[str | None]\n    nickname: Mapped[str | None]\n", 1))
    written = _run(project, "revision", "-m", "device nickname")
    assert written.returncode == 0, written.stdout + written.stderr
    applied = _run(project, "apply", "staging")

    assert applied.returncode == 0, applied.stdout + applied.stderr
    with psycopg.connect(project.urls["staging"]) as conn:
        assert conn.execute("select 1 from information_schema.columns where table_name = "
                            "'Device' and column_name = 'nickname'").fetchone()


def test_diff_says_equal_on_stderr_and_prints_no_sql(project):
    compared = _run(project, "diff", "staging", "prod")

    assert compared.returncode == 0, compared.stderr
    assert compared.stdout == ""
    assert compared.stderr.strip() == "staging and prod are equal"


@pytest.fixture(scope="module")
def prisma_flow(tmp_path_factory, module_databases, canary_admin_url) -> Project:
    """A git project whose schema.prisma is at head; staging and prod at head."""
    urls = {env: module_databases(f"nivo_hint_{env}") for env in ("staging", "prod")}
    return prisma_project(tmp_path_factory.mktemp("hints"), urls, canary_admin_url)


def _named_commands(output: str) -> set[str]:
    return set(re.findall(r"`(nivomigrate [^`]+)`", output))


def test_a_field_added_to_schema_prisma_is_fixed_by_the_revision_the_hints_name(prisma_flow):
    """schema.prisma moved, not the revisions: `prisma check` and the merge gate both name
    `revision --from-prisma` (never "edit schema.prisma by hand: remove field ..."), and
    following it, then committing, reaches prod."""
    schema = prisma_flow.root / "schema.prisma"
    schema.write_text(add_lines(schema.read_text(), "User", "nickname String?"))

    for command in (("prisma", "check"), ("plan", "all", "--gate", "merge")):
        found = run(prisma_flow, *command)
        assert found.returncode == 1, found.stdout + found.stderr
        assert "by hand" not in found.stdout and "remove field" not in found.stdout, found.stdout
        assert "changed without a revision" in found.stdout, found.stdout
        assert "model User: added field nickname" in found.stdout, found.stdout
        hinted = _named_commands(found.stdout)
        assert hinted == {"nivomigrate revision --from-prisma"}, (command, found.stdout)

    followed = _hinted(prisma_flow, "nivomigrate revision --from-prisma")
    assert followed.returncode == 0, followed.stdout + followed.stderr
    git(prisma_flow, "add", "-A")  # "... and commit the new revision and the models"
    git(prisma_flow, "commit", "-qm", "User.nickname")
    promote_all(prisma_flow)
