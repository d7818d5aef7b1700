"""Each hint names a command that works in the state that printed it: the hint's command is
run, through the CLI as a user would, and exits 0 (plan's baseline, doctor's next command,
drift's undo-and-revision, diff's "equal")."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import psycopg
import pytest

from tests.steps.conftest import Project, copy_project
from tests.steps.test_baseline import prisma_template  # noqa: F401


def _run(project: Project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nivomigrate", *args], cwd=project.root,
                          env={**os.environ, **project.environ}, capture_output=True, text=True,
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
