"""Every JSON report of every command validates against docs/json-report.schema.json.

The commands run for real (the CLI, in a subprocess) on staging and prod one revision behind,
in the order a team would: doctor, status, check, lint, plan, coverage, diff, apply, promote,
history, repair, baseline, shadow status, render. A command added to the CLI with a --format
option must be added here (the first test fails until it is).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from nivomigrate.cli import app
from nivomigrate.findings import Finding, Location, Report, Severity
from nivomigrate.render.json import render_json
from tests import forked_cli
from tests.report_schema import schema_errors
from tests.steps.conftest import COPIED_MODELS

REPO = Path(__file__).resolve().parents[2]
# Each command, in order, and its arguments; the JSON goes to <name>.json in the project.
RUNS = [
    ("doctor", []), ("status", []), ("check", []), ("lint", []),
    ("plan", ["all", "--gate", "merge"]), ("coverage", ["staging"]),
    ("diff", ["staging", "prod"]), ("apply", ["staging"]), ("promote", ["prod"]),
    ("history", []), ("rollback", ["prod"]), ("repair", ["staging", "--reason", "schema test"]),
    ("baseline", ["adopted"]), ("shadow status", []), ("render", ["plan.json"]),
]
# Commands with --format whose JSON another test validates, and why not here.
ELSEWHERE = {
    "shadow stop": "stops a server: tests/steps/test_shadow_command.py (own server)",
    "shadow prune": "drops templates: tests/steps/test_shadow_command.py (own server)",
    "prisma check": "needs the pinned Prisma CLI: tests/steps/test_prisma.py",
    "prisma write": "needs the pinned Prisma CLI: tests/steps/test_prisma.py",
    "roles": "writes a revision and cluster-wide roles: tests/steps/test_roles.py",
    "fleet plan": "needs a fleet of databases: tests/github/test_fleet_workflow.py",
    "fleet gate": "reads the wave jobs' reports: tests/github/test_fleet_workflow.py",
    "fleet status": "needs a fleet of databases: tests/github/test_fleet_workflow.py",
    "fleet promote": "promotes a fleet of databases: tests/steps/test_fleet.py",
}


def _format_commands() -> set[str]:
    names = set()

    def walk(group, prefix: str) -> None:
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                walk(command, f"{prefix}{name} ")
            elif any("--format" in getattr(p, "opts", []) for p in command.params):
                names.add(f"{prefix}{name}")

    walk(typer.main.get_command(app), "")
    return names


def test_every_command_with_a_format_is_validated_here_or_elsewhere():
    assert _format_commands() == {name for name, _ in RUNS} | set(ELSEWHERE)


@pytest.fixture
def project(tmp_path, make_database, canary_admin_url) -> tuple[Path, dict]:
    from nivomigrate.steps.demo import older_revision, prepare_database

    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copytree(REPO / "versions", folder / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "policies", folder / "policies")
    shutil.copytree(REPO / COPIED_MODELS, folder / COPIED_MODELS,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "nivomigrate.toml").write_text(
        f'models = "{COPIED_MODELS}"\n'
        "[environments.staging]\n[environments.prod]\npromoted_from = 'staging'\n"
        "[environments.adopted]\nurl_env = 'ADOPTED_URL'\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "project"]):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
                       cwd=folder, check=True)
    urls = {"STAGING_POSTGRES_URL_NON_POOLING": make_database("nivo_schema_staging"),
            "PROD_POSTGRES_URL_NON_POOLING": make_database("nivo_schema_prod"),
            "ADOPTED_URL": make_database("nivo_schema_adopted")}
    older = older_revision(folder / "versions")
    for url in urls.values():
        prepare_database(folder / "versions", url, older)
    import psycopg

    with psycopg.connect(urls["ADOPTED_URL"], autocommit=True) as conn:
        conn.execute("drop table alembic_version")  # a database made before nivomigrate
    return folder, {**urls, "NIVOMIGRATE_SHADOW_URL": canary_admin_url}


def test_every_command_report_validates(project):
    folder, urls = project
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(folder),
           "USER": "schema-test", **urls}
    problems = {}
    for name, args in RUNS:
        result = forked_cli.run(*name.split(), *args,
                                 "--format", "json", cwd=folder, env=env, timeout=600)
        (folder / f"{name.split()[0]}.json").write_text(result.stdout)
        try:
            errors = schema_errors(result.stdout)
        except json.JSONDecodeError:
            errors = [f"not JSON (exit {result.returncode}): {result.stderr[-500:]}"]
        if errors:
            problems[name] = errors
    assert problems == {}


def test_a_report_that_breaks_the_schema_is_caught():
    """The schema is not a pass-everything: a blocked report without an error fails it."""
    report = Report("plan", "t", findings=(Finding("Bad Name", Severity.WARNING, "m",
                                                   Location()),), exit_code=9)
    document = json.loads(render_json(report))
    document["verdict"] = "blocked"
    errors = schema_errors(document)
    assert any(e.startswith("data") for e in errors)  # exit code 9, plan without gate
    assert any(e.startswith("findings/0/check") for e in errors)  # not a check name
    assert any("contains" in e or "does not contain" in e for e in errors)  # blocked, no error
