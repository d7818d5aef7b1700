"""Another team adopts nivomigrate in CI: the reusable workflow (.github/workflows/nivomigrate.yml)
and the composite action (.github/actions/nivomigrate/action.yml), played as a runner would on a
throw-away repository with its own two-table models (tests/adopter_project.py), as docs/ci.md
lays it out: one step gives the lint annotation on its line, the artifact, the one pull-request
comment and the outputs (verdict, exit code, report path).

As in test_workflow_commands.py, steps are taken from the YAML in order; `uses:` steps are played
by the test (checkout = the tree it writes, setup-python and the install = this virtualenv after
checking the install names a package index or a git ref, never the checkout; upload-artifact =
the files must exist). Expressions are evaluated for the forms the two files use.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.adopter_project import BLOCKED_MODELS, BLOCKED_REVISION, make_adopter_project
from tests.github.test_workflow_commands import (
    _nivomigrate,
    _no_secret_leaked,
    _parse,
    _steps,
)

REPO = Path(__file__).resolve().parents[2]
REUSABLE = REPO / ".github" / "workflows" / "nivomigrate.yml"
ACTION = REPO / ".github" / "actions" / "nivomigrate" / "action.yml"
GIT = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid",
       "-c", "init.defaultBranch=main"]


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _inputs(path: Path) -> dict:
    document = _load(path)
    return document["inputs"] if "runs" in document else document[True]["workflow_call"]["inputs"]


# -- the shape ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [REUSABLE, ACTION], ids=lambda p: p.name)
def test_typed_inputs_and_outputs(path: Path) -> None:
    inputs = _inputs(path)
    assert {"command", "environment", "working-directory", "format", "nivomigrate-version",
            "nivomigrate-ref"} <= set(inputs)
    document = _load(path)
    outputs = document["outputs"] if "runs" in document else \
        document[True]["workflow_call"]["outputs"]
    assert {"verdict", "exit-code", "report-path"} <= set(outputs)
    if path == REUSABLE:
        assert {inputs[name]["type"] for name in inputs} <= {"string", "boolean"}
        assert inputs["comment"]["type"] == "boolean"


@pytest.mark.parametrize("path", [REUSABLE, ACTION], ids=lambda p: p.name)
def test_nivomigrate_comes_from_a_package_index_or_a_git_ref_never_the_checkout(path) -> None:
    installs = [_parse(step.run)[1] for step in _steps(path)
                if step.run and _parse(step.run)[0] == "install"]
    targets = [argv[-1] for argv in installs]
    assert "nivomigrate==$NIVOMIGRATE_VERSION" in targets
    assert "git+$GITHUB_SERVER_URL/$NIVOMIGRATE_REPOSITORY@$NIVOMIGRATE_REF" in targets
    assert "." not in targets and not any(t.startswith("$GITHUB_WORKSPACE") for t in targets)
    if path == ACTION:  # else: the action's own commit, never the caller's workspace
        assert set(targets) - {"nivomigrate==$NIVOMIGRATE_VERSION",
                               "git+$GITHUB_SERVER_URL/$NIVOMIGRATE_REPOSITORY@$NIVOMIGRATE_REF"
                               } == {"$GITHUB_ACTION_PATH/../../.."}


def test_reusable_default_version_is_the_package_version() -> None:
    import tomllib

    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert _inputs(REUSABLE)["nivomigrate-version"]["default"] == version


# -- playing them on a throw-away repository --------------------------------------------------

def _repository(folder: Path) -> Path:
    """The adopter's repository: the project in `app/` of it, then a pull request's commit."""
    project = make_adopter_project(folder / "service")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*GIT, *args], cwd=folder, check=True, capture_output=True)
    (project / "app" / "models.py").write_text(BLOCKED_MODELS)
    (project / "db" / "versions" / "0002_book_author_index.py").write_text(BLOCKED_REVISION)
    for args in (["add", "-A"], ["commit", "-q", "-m", "index book"]):
        subprocess.run([*GIT, *args], cwd=folder, check=True, capture_output=True)
    return folder


class Runner:
    """Evaluates the expressions of one job (inputs, secrets, steps' outputs, github)."""

    def __init__(self, inputs: dict, secrets: dict, workspace: Path, output_files: Path):
        self.inputs, self.secrets, self.workspace = inputs, secrets, workspace
        self.outputs: dict[str, dict[str, str]] = {}
        self.outcomes: dict[str, str] = {}
        self.output_files = output_files
        self.failed = False

    def value(self, expression: str):
        expression = expression.strip()
        if match := re.fullmatch(r"inputs\.([\w-]+)", expression):
            return self.inputs[match[1]]
        if match := re.fullmatch(r"secrets\.(\w+)", expression):
            return self.secrets.get(match[1], "")
        if match := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return self.outputs.get(match[1], {}).get(match[2], "")
        if match := re.fullmatch(r"'([^']*)'", expression):
            return match[1]
        known = {"github.token": "ghs_workflow_token", "github.event_name": "pull_request",
                 "github.server_url": "https://github.invalid", "!cancelled()": True}
        assert expression in known, f"the test cannot evaluate {expression!r}"
        return known[expression]

    def text(self, template) -> str:
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(self.value(m[1])), str(template))

    def condition(self, condition: str | None) -> bool:
        text = re.sub(r"^\$\{\{\s*(.*?)\s*\}\}$", r"\1", (condition or "").strip())
        if not text:
            return not self.failed
        result = True
        for term in text.split("&&"):
            if match := re.fullmatch(r"\s*(.+?)\s*(==|!=)\s*(.+?)\s*", term):
                equal = str(self.value(match[1])) == str(self.value(match[3]))
                result &= equal if match[2] == "==" else not equal
            else:
                result &= bool(self.value(term))
        return result and (not self.failed or "!cancelled()" in text)


def _play(path: Path, runner: Runner, env: dict[str, str],
          working_directory: str | None = None) -> list[tuple[str, int, str]]:
    """Play the steps of the one job (or the action); return (step, exit code, stdout)."""
    document = _load(path)
    job = document["runs"] if "runs" in document else next(iter(document["jobs"].values()))
    job_env = {k: runner.text(v) for k, v in job.get("env", {}).items()}
    default_wd = job.get("defaults", {}).get("run", {}).get("working-directory")
    played = []
    for number, step in enumerate(_steps(path)):
        raw = job["steps"][number]
        if not runner.condition(step.condition):
            continue
        if step.uses:
            if step.uses.startswith("actions/upload-artifact@"):
                for name in runner.text(step.with_["path"]).split():
                    assert (runner.workspace / name).is_file(), f"the artifact lacks {name}"
                runner.outputs["artifact"] = {"artifact-url": "https://github.invalid/a/7"}
            continue
        kind, argv, redirect = _parse(step.run)
        if kind == "install":
            continue  # checked by the shape tests; this virtualenv has nivomigrate
        output_file = runner.output_files / f"{raw.get('id', number)}.txt"
        output_file.write_text("")
        step_env = {**env, **job_env, "GITHUB_OUTPUT": str(output_file),
                    **{k: runner.text(v) for k, v in step.env.items()}}
        cwd = runner.workspace / runner.text(working_directory or step.working_directory
                                             or default_wd or ".")
        # bash's expansion: the variables' values, unquoted ones split on spaces (no value
        # of a quoted one has any)
        words = [word for token in argv[1:] for word in _expanded(token, step_env).split()]
        completed = subprocess.run([_nivomigrate(), *words], cwd=cwd, env=step_env,
                                   capture_output=True, text=True, timeout=600)
        if redirect is not None:
            (cwd / _expanded(redirect[1], step_env)).write_text(completed.stdout)
        runner.outputs[raw.get("id", str(number))] = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        played.append((step.name, completed.returncode, completed.stdout + completed.stderr))
        runner.failed = runner.failed or completed.returncode != 0
    return played


def _expanded(token: str, env: dict[str, str]) -> str:
    return re.sub(r"\$(\w+)", lambda m: env.get(m[1], ""), token)


def _runner_env(workspace: Path, api_url: str, summary: Path) -> dict[str, str]:
    event = workspace.parent / "event.json"
    base = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=workspace,
                          check=True, capture_output=True, text=True).stdout.strip()
    event.write_text(json.dumps({"pull_request": {
        "number": 7, "base": {"sha": base}, "head": {"repo": {"full_name": "shop/books"}}}}))
    return {
        "PATH": f"{Path(_nivomigrate()).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(workspace)), "LANG": "C.UTF-8", "CI": "true",
        "GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "ada", "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_EVENT_PATH": str(event),
        "GITHUB_API_URL": api_url, "GITHUB_REPOSITORY": "shop/books",
        "GITHUB_SERVER_URL": "https://github.invalid", "GITHUB_RUN_ID": "42",
    }


@pytest.fixture
def adopter_databases(make_database, canary_admin_url, tmp_path) -> dict[str, str]:
    """Staging and prod of the adopter at its revision 0001 (applied, then promoted)."""
    urls = {"STAGING_POSTGRES_URL_NON_POOLING": make_database("nivo_shop_staging"),
            "PROD_POSTGRES_URL_NON_POOLING": make_database("nivo_shop_prod")}
    project = make_adopter_project(tmp_path / "base")
    env = {**os.environ, **urls, "NIVOMIGRATE_SHADOW_URL": canary_admin_url}
    for command in (["apply", "staging"], ["promote", "prod"]):
        done = subprocess.run([_nivomigrate(), *command], cwd=project, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    return urls


@pytest.fixture
def github_api():
    from tests.github.recording_api import RecordingGitHub

    with RecordingGitHub() as api:
        yield api


INPUTS = {"command": "plan", "environment": "all", "arguments": "--gate merge",
          "working-directory": "service", "format": "html", "comment": True,
          "allow-session-pooler": "1", "nivomigrate-version": "0.1.0", "nivomigrate-ref": "",
          "nivomigrate-repository": "", "python-version": "3.11",
          "github-token": "ghs_workflow_token", "artifact-name": "nivomigrate-report"}


@pytest.mark.parametrize("path", [REUSABLE, ACTION], ids=lambda p: p.name)
def test_one_step_gives_annotation_artifact_comment_and_outputs(
        path, tmp_path, adopter_databases, canary_admin_url, github_api) -> None:
    workspace = _repository(tmp_path / "books")
    summary = tmp_path / "summary.md"
    summary.touch()
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    runner = Runner(dict(INPUTS, comment="true" if path == ACTION else True),
                    adopter_databases, workspace, outputs)
    env = _runner_env(workspace, github_api.url, summary)
    if path == ACTION:  # the caller's step `env:` (the reusable workflow maps secrets itself)
        env |= {**adopter_databases, "NIVOMIGRATE_SHADOW_URL": canary_admin_url}
    else:
        runner.secrets = dict(adopter_databases)
        env["NIVOMIGRATE_SHADOW_URL"] = canary_admin_url

    played = _play(path, runner, env)

    names = [name for name, _, _ in played]
    assert names == ["Run nivomigrate", "Annotate findings", "Render the report",
                     "Comment on the pull request"], played
    assert runner.outputs["run"] == {"verdict": "blocked", "exit-code": "1"}, played
    annotations = [line for line in played[1][2].splitlines() if line.startswith("::error")]
    # GitHub reads `file=` from the repository's root: the project is in service/
    assert any(re.match(r"::error file=service/db/versions/0002_book_author_index\.py,line=9,",
                        line)
               and "require-concurrent-index-creation" in line for line in annotations), played
    assert (workspace / "service" / "nivomigrate-report.html").read_text().startswith(
        "<!DOCTYPE html>")
    (comment,) = github_api.comments(7)
    assert "❌ blocked" in comment["body"] and "ProjectMember" not in comment["body"]
    assert "blocked" in summary.read_text()
    texts = [text for _, _, text in played]
    assert not any(str(workspace) in text for text in texts[2:])  # paths relative
    _no_secret_leaked([], *texts, summary.read_text(), comment["body"])
