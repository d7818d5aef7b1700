"""The workflows' commands: each `run:` is an install or one nivomigrate command, and they work.

The second half plays the workflows as a GitHub runner would, against local databases: the
merge gate (its fork path, which builds staging and prod from the base branch and so runs every
command), then, for a change the gate lets through, the promotion after the merge. Steps are
taken from the YAML in order; `uses:` steps are played by the test (checkout = the trees it
writes, setup-python and the install = this virtualenv, upload-artifact = the file must exist).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from tests import forked_cli
from tests.steps.conftest import copy_config_and_models

REPO = Path(__file__).resolve().parents[2]
GATE = REPO / ".github" / "workflows" / "schema-gate.yml"
PROMOTE = REPO / ".github" / "workflows" / "promote.yml"
ACTION = REPO / ".github" / "actions" / "nivomigrate" / "action.yml"
WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.y*ml"))
# The reusable workflow for other repositories (tests/github/test_adopter_workflows.py).
REUSABLE = REPO / ".github" / "workflows" / "nivomigrate.yml"
# The reusable fleet workflow (tests/github/test_fleet_workflow.py).
FLEET = REPO / ".github" / "workflows" / "fleet.yml"
OWN_WORKFLOWS = [path for path in WORKFLOWS if path not in (REUSABLE, FLEET)]
URL_VARIABLES = ("STAGING_POSTGRES_URL_NON_POOLING", "PROD_POSTGRES_URL_NON_POOLING",
                 "NIVOMIGRATE_SHADOW_URL")
CANARY_PASSWORD = "nivo%@/:canary"  # tests/conftest.py: must never be printed
_OPERATORS = {";", "&&", "||", "|", "&", "<", ">", ">>", "(", ")", "|&", ";;"}

def _revision(summary: str, upgrade: str, downgrade: str) -> str:
    """A revision file whose {revision} and {down_revision} are filled in by _tree."""
    return f'''"""{summary}

Revision ID: {{revision}}
Revises: {{down_revision}}
Create Date: 2026-11-25
"""

from alembic import op

revision = "{{revision}}"
down_revision = "{{down_revision}}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    {upgrade}


def downgrade() -> None:
    {downgrade}
'''


GOOD_REVISION = _revision(
    "Touch no schema: a data-only revision the merge gate lets through.",
    """op.execute('UPDATE "Plan" SET "description" = "description" WHERE false')""", "pass")

# A plain CREATE INDEX locks "Log" against writes while it builds: squawk's
# require-concurrent-index-creation, which policies/promotion.yaml sets to block.
BLOCKED_REVISION = _revision(
    "Index Log by tag, without CONCURRENTLY: the merge gate must block it.",
    """op.execute('CREATE INDEX "Log_ci_case_idx" ON "Log" ("tag")')""",
    """op.execute('DROP INDEX "Log_ci_case_idx"')""")


@dataclass(frozen=True)
class Step:
    """One step of a job, as the YAML says it."""

    source: str
    job: str
    name: str
    run: str | None
    uses: str | None
    condition: str | None
    working_directory: str | None
    env: dict = field(default_factory=dict)
    with_: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    step: Step
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _steps(path: Path, job: str | None = None) -> list[Step]:
    document = _load(path)
    if "runs" in document:  # a composite action
        jobs = {"action": {"steps": document["runs"]["steps"]}}
    else:
        jobs = document["jobs"]
    steps = []
    for job_id, body in jobs.items():
        if job is not None and job_id != job:
            continue
        default_wd = body.get("defaults", {}).get("run", {}).get("working-directory")
        for raw in body.get("steps", []):
            steps.append(Step(
                source=path.name, job=job_id, name=raw.get("name", raw.get("run") or raw["uses"]),
                run=raw.get("run"), uses=raw.get("uses"), condition=raw.get("if"),
                working_directory=raw.get("working-directory", default_wd),
                env=raw.get("env", {}), with_=raw.get("with", {}),
            ))
    return steps


def _tokens(command: str) -> list[str]:
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _parse(command: str) -> tuple[str, list[str], tuple[str, str] | None]:
    """Return ("install" | "nivomigrate", argv, (redirect operator, target) or None).

    Raises:
        AssertionError: anything else (several commands, a pipe, a substitution, a script).
    """
    text = command.strip()
    assert "\n" not in text, f"more than one line: {command!r}"
    assert "$(" not in text and "`" not in text, f"command substitution: {command!r}"
    tokens = _tokens(text)
    redirect = None
    if len(tokens) >= 2 and tokens[-2] in (">", ">>"):
        redirect = (tokens[-2], tokens[-1])
        tokens = tokens[:-2]
    assert not _OPERATORS & set(tokens), f"not one command: {command!r}"
    if tokens[:4] == ["python", "-m", "pip", "install"] or tokens[:2] == ["pip", "install"]:
        assert redirect is None, f"an install step redirects its output: {command!r}"
        return "install", tokens, None
    assert tokens and tokens[0] == "nivomigrate", f"neither an install nor nivomigrate: {command!r}"
    return "nivomigrate", tokens, redirect


# -- the shape of the workflows -------------------------------------------------------------

@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_run_step_is_an_install_or_one_nivomigrate_command(path: Path) -> None:
    runs = [step.run for step in _steps(path) if step.run is not None]
    assert runs, f"{path.name} has no run step"
    kinds = [_parse(run)[0] for run in runs]
    assert "nivomigrate" in kinds


def test_workflows_install_with_pip_install_dot() -> None:
    """NivoStack's own workflows install the checkout: nivomigrate is this repository."""
    for path in OWN_WORKFLOWS:
        commands = [_parse(step.run) for step in _steps(path) if step.run]
        installs = [argv for kind, argv, _ in commands if kind == "install"]
        assert installs == [["python", "-m", "pip", "install", "."]] * len(_load(path)["jobs"])


def test_fallback_steps_write_only_to_service_containers() -> None:
    """The fork path's apply and promote name localhost URLs themselves, never the job's."""
    fallback = [s for s in _steps(GATE) if s.run and "READONLY_SECRETS" in (s.condition or "")]
    assert [_parse(s.run)[1][:2] for s in fallback] == [["nivomigrate", "apply"],
                                                        ["nivomigrate", "promote"]]
    for step in fallback:
        urls = {k: v for k, v in step.env.items() if k in URL_VARIABLES}
        assert urls and all(v.startswith("postgresql://postgres:postgres@localhost:")
                            for v in urls.values()), step.name


def test_gate_plans_once_and_renders_summary_annotations_html_and_comment_from_it() -> None:
    commands = [_parse(s.run) for s in _steps(GATE) if s.run]
    argvs = [(argv, redirect) for kind, argv, redirect in commands if kind == "nivomigrate"]
    plans = [(a, r) for a, r in argvs if a[1] == "plan"]
    assert plans == [(["nivomigrate", "plan", "all", "--gate", "merge", "--format", "json"],
                      (">", "nivomigrate-plan.json"))]
    assert (["nivomigrate", "render", "nivomigrate-plan.json", "--format", "github"],
            None) in argvs
    assert (["nivomigrate", "render", "nivomigrate-plan.json", "--format", "html"],
            (">", "nivomigrate-plan.html")) in argvs
    assert not [a for a, _ in argvs if a[1] in ("check", "lint")]  # plan runs them
    comment, = [s for s in _steps(GATE) if s.run and "comment" in s.run]
    assert _parse(comment.run)[1] == ["nivomigrate", "comment", "nivomigrate-plan.json"]
    assert comment.env["GITHUB_TOKEN"] == "${{ github.token }}"  # the workflow's own token
    job = _load(GATE)["jobs"]["gate"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert "pull_request.number" in _load(GATE)["concurrency"]["group"]
    assert not [s.uses for s in _steps(GATE) if s.uses and not s.uses.startswith("actions/")]


def _environment_name(job: dict) -> str:
    environment = job["environment"]
    return environment["name"] if isinstance(environment, dict) else environment


def test_promotions_never_overlap_and_keep_their_json_reports() -> None:
    workflow = _load(PROMOTE)
    assert workflow["concurrency"]["cancel-in-progress"] is False
    jobs = workflow["jobs"]
    assert _environment_name(jobs["staging"]) == "staging"
    assert _environment_name(jobs["production"]) == "production"
    # The approvers of `production` see a link to this run's summary (staging's included).
    assert "actions/runs/${{ github.run_id }}" in jobs["production"]["environment"]["url"]
    assert jobs["production"]["needs"] == "staging"
    assert set(jobs["production"]["env"]) >= {"STAGING_POSTGRES_URL_NON_POOLING",
                                              "PROD_POSTGRES_URL_NON_POOLING"}
    for job in ("staging", "production"):
        steps = _steps(PROMOTE, job)
        (_, argv, redirect), (_, render, html) = [
            _parse(s.run) for s in steps if s.run and "nivomigrate" in s.run]
        assert argv[-2:] == ["--format", "json"] and redirect[0] == ">"
        assert render == ["nivomigrate", "render", redirect[1], "--format", "html"]
        upload, = [s for s in steps if s.uses and s.uses.startswith("actions/upload-artifact@")]
        assert re.fullmatch(r"actions/upload-artifact@[0-9a-f]{40}", upload.uses)
        assert upload.with_["path"].split() == [redirect[1], html[1]]


def test_every_job_allows_the_session_pooler_as_docs_and_config_say() -> None:
    """The workflows allow Supavisor's session mode by the variable; nivomigrate.toml leaves
    the key unset (a laptop stays strict); docs/ci.md says both."""
    import tomllib

    for path in WORKFLOWS:
        for name, job in _load(path)["jobs"].items():
            allowed = job.get("env", {}).get("NIVOMIGRATE_ALLOW_SESSION_POOLER")
            assert allowed == ("${{ inputs.allow-session-pooler }}"
                               if path in (REUSABLE, FLEET) else "1"), (path, name)
    reusable = _load(REUSABLE)[True]["workflow_call"]["inputs"]  # YAML reads `on:` as True
    assert reusable["allow-session-pooler"]["default"] == "1"
    config = tomllib.loads((REPO / "nivomigrate.toml").read_text())
    assert not any("allow_session_pooler" in table
                   for table in config.get("environments", {}).values())
    docs = (REPO / "docs" / "ci.md").read_text()
    assert 'NIVOMIGRATE_ALLOW_SESSION_POOLER: "1"' in docs and "allow_session_pooler" in docs


# -- playing the workflows against local databases ------------------------------------------

def _nivomigrate() -> str:
    found = shutil.which("nivomigrate", path=str(Path(sys.executable).parent)) \
        or shutil.which("nivomigrate")
    if found is None:
        pytest.fail("the nivomigrate script is not installed (pip install -e .)")
    return found


def _head(versions: Path) -> str:
    """Return the head revision id of the repository's versions/ (the one nothing revises)."""
    ids, parents = set(), set()
    for path in versions.glob("*.py"):
        text = path.read_text()
        ids |= set(re.findall(r'^revision(?:: str)? = "([^"]+)"', text, re.M))
        parents |= set(re.findall(r'^down_revision(?:: [^=]+)? = "([^"]+)"', text, re.M))
    heads = sorted(ids - parents)
    assert len(heads) == 1, f"versions/ has heads {heads}"
    return heads[0]


def _tree(folder: Path, revision: str | None) -> Path:
    """Write a project checkout: the repository's configuration, models, revisions, policies.

    With `revision`, the next revision after the repository's head is added (a pull request).
    """
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / ".gitignore", folder / ".gitignore")
    copy_config_and_models(folder)
    shutil.copytree(REPO / "versions", folder / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "policies", folder / "policies")
    git = ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid",
           "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*git, *args], cwd=folder, check=True, capture_output=True)
    if revision is not None:  # the pull request's commit, on top of the base
        head = _head(folder / "versions")
        new = f"{int(head) + 1:04d}" if head.isdigit() else "ci_case"
        (folder / "versions" / f"{new}_ci_case.py").write_text(
            revision.replace("{revision}", new).replace("{down_revision}", head))
        for args in (["add", "-A"], ["commit", "-q", "-m", "pull request"]):
            subprocess.run([*git, *args], cwd=folder, check=True, capture_output=True)
    return folder


def _base_sha(folder: Path) -> str:
    """The base branch's commit: the first one of the checkout _tree wrote."""
    return subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=folder, check=True,
                          capture_output=True, text=True).stdout.strip()


def _checkout(step: Step, workspace: Path, revision: str | None) -> None:
    is_base = "base" in str(step.with_.get("ref", ""))
    _tree(workspace / step.with_.get("path", "."), None if is_base else revision)


REPORT_URL = "https://github.invalid/nivo/stack/actions/runs/42/artifacts/7"
EXPRESSIONS = {  # what a runner gives these expressions in the test's job
    "${{ github.token }}": "ghs_workflow_token",
    "${{ steps.report.outputs.artifact-url }}": REPORT_URL,
    # the same environment secret in `staging` and `production`: apply signs, promote checks
    "${{ secrets.NIVOMIGRATE_LEDGER_KEY }}": "ledger-key-of-the-test-runner-0123456789",
}


def _resolve(name: str, value, urls: dict[str, str], secrets_present: bool) -> str:
    """Give a variable the value a runner would, with local databases for every URL."""
    if name in urls:
        return urls[name]
    if name == "NIVOMIGRATE_READONLY_SECRETS":
        return "true" if secrets_present else "false"
    text = EXPRESSIONS.get(str(value), str(value))
    assert "${{" not in text, f"the test does not know how to evaluate {name}: {text}"
    return text


def _runs(step: Step, env: dict[str, str], failed: bool) -> bool:
    """Evaluate `if:` the way GitHub does for the forms the workflows use."""
    condition = (step.condition or "").strip()
    condition = re.sub(r"^\$\{\{\s*(.*?)\s*\}\}$", r"\1", condition)
    if condition in ("!cancelled()", "always()"):
        return True
    if failed:
        return False
    if not condition:
        return True
    match = re.fullmatch(r"env\.(\w+)\s*(==|!=)\s*'([^']*)'", condition)
    assert match, f"the test does not know how to evaluate if: {condition}"
    equal = env.get(match[1], "") == match[3]
    return equal if match[2] == "==" else not equal


@dataclass(frozen=True)
class PullRequest:
    """The pull request a gate job runs for, and the GitHub API it talks to."""

    api_url: str
    number: int = 7
    repository: str = "nivo/stack"


def _event_env(workspace: Path, pull: PullRequest | None) -> dict[str, str]:
    if pull is None:
        return {}
    event = workspace.parent / f"{workspace.name}-event.json"
    event.write_text(json.dumps({"pull_request": {
        "number": pull.number, "base": {"sha": _base_sha(workspace)},
        "head": {"repo": {"full_name": pull.repository}}}}))
    return {"GITHUB_EVENT_PATH": str(event), "GITHUB_API_URL": pull.api_url,
            "GITHUB_REPOSITORY": pull.repository, "GITHUB_SERVER_URL": "https://github.invalid",
            "GITHUB_RUN_ID": "42"}


def _play(path: Path, job: str, workspace: Path, revision: str | None, urls: dict[str, str],
          summary: Path, secrets_present: bool = False,
          pull: PullRequest | None = None) -> list[Outcome]:
    """Run one job's steps in order, as a runner would; return what each command did."""
    executable = _nivomigrate()
    runner_env = {
        "PATH": f"{Path(executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", str(workspace)),
        "LANG": "C.UTF-8",
        "CI": "true",
        "GITHUB_ACTIONS": "true",
        "GITHUB_ACTOR": "ci-test",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    job_body = _load(path)["jobs"][job]
    job_env = {k: _resolve(k, v, urls, secrets_present) for k, v in job_body.get("env", {}).items()}
    outcomes: list[Outcome] = []
    failed = False
    for step in _steps(path, job):
        env = {**runner_env, **job_env,
               **{k: _resolve(k, v, urls, secrets_present) for k, v in step.env.items()}}
        if not _runs(step, env, failed):
            continue
        if step.uses:
            if step.uses.startswith("actions/checkout@"):
                _checkout(step, workspace, revision)
                runner_env.update(_event_env(workspace, pull) if "path" not in step.with_
                                  else {})
            elif step.uses.startswith("actions/upload-artifact@"):
                for name in step.with_["path"].split():
                    assert (workspace / name).is_file(), f"no {name}"
            continue
        kind, argv, redirect = _parse(step.run)
        if kind == "install":
            continue  # this virtualenv already has nivomigrate
        cwd = workspace / (step.working_directory or ".")
        argv = [executable, *(os.path.expandvars(a) for a in argv[1:])]
        # the installed script's `main`, run forked (tests/forked_cli.py): its own process
        # with the step's cwd and environment, as the runner starts it
        completed = forked_cli.run(*argv[1:], cwd=cwd, env=env, timeout=600)
        if redirect is not None:
            target = Path(cwd, os.path.expandvars(redirect[1].replace("$GITHUB_STEP_SUMMARY",
                                                                      str(summary))))
            with target.open("a" if redirect[0] == ">>" else "w") as out:
                out.write(completed.stdout)
        outcomes.append(Outcome(step, tuple(argv[1:]), completed.returncode, completed.stdout,
                                completed.stderr))
        failed = failed or completed.returncode != 0
    return outcomes


def _describe(outcomes: list[Outcome]) -> str:
    return "\n".join(
        f"[{o.returncode}] {o.step.job}: nivomigrate {' '.join(o.argv)}\n"
        + "".join(f"      {line}\n" for line in o.stdout.strip().splitlines()[-8:])
        + "".join(f"      {line}\n" for line in o.stderr.strip().splitlines()[-6:])
        for o in outcomes
    )


def _no_secret_leaked(outcomes: list[Outcome], *texts: str) -> None:
    forms = {CANARY_PASSWORD, quote(CANARY_PASSWORD, safe="")}
    for text in [*texts, *(o.stdout + o.stderr for o in outcomes)]:
        assert not any(form in text for form in forms)


@pytest.fixture(scope="module")
def session_pooler(canary_admin_url):
    """A PgBouncer in session mode that drops the startup options, as Supavisor's session mode
    (port 5432) does: the way GitHub-hosted runners reach Supabase over IPv4."""
    from tests import servers

    servers.skip_unless(servers.pgbouncer_binary(),
                        "pgbouncer is not installed (apt-get install pgbouncer)")
    with servers.workspace() as folder:
        with servers.pgbouncer(canary_admin_url, folder / "pgbouncer", pool_mode="session",
                               ignore_startup_parameters=("options",)) as bouncer:
            yield bouncer


@pytest.fixture
def local_urls(make_database, canary_admin_url, session_pooler) -> dict[str, str]:
    """Empty staging and prod (the fork path builds them), reached through the session pooler,
    and the shadow server (a service container in the workflows: direct)."""
    return {
        "STAGING_POSTGRES_URL_NON_POOLING":
            session_pooler.url(make_database("nivo_ci_staging").rsplit("/", 1)[1]),
        "PROD_POSTGRES_URL_NON_POOLING":
            session_pooler.url(make_database("nivo_ci_prod").rsplit("/", 1)[1]),
        "NIVOMIGRATE_SHADOW_URL": canary_admin_url,
    }


@pytest.fixture
def github_api():
    from tests.github.recording_api import RecordingGitHub

    with RecordingGitHub() as api:
        yield api


def test_gate_passes_a_good_change_and_promote_deploys_it(tmp_path, local_urls,
                                                          github_api) -> None:
    summary = tmp_path / "summary.md"
    summary.touch()
    gate = _play(GATE, "gate", tmp_path / "gate", GOOD_REVISION, local_urls, summary,
                 pull=PullRequest(github_api.url))
    ran = [o.argv[0] for o in gate]
    assert ran == ["apply", "promote", "doctor", "plan", "render", "render", "comment"], \
        _describe(gate)
    assert all(o.returncode == 0 for o in gate), "gate failed:\n" + _describe(gate)
    assert summary.read_text().strip()
    annotations = next(o for o in gate if o.argv[-1] == "github").stdout
    assert not any(line.startswith("::error") for line in annotations.splitlines())
    assert [c["body"].count("nivomigrate: the merge gate ✅ passes")
            for c in github_api.comments(7)] == [1]

    # After the merge: main is the pull request's tree; staging and prod are where the gate's
    # fallback left them (at the base branch), so 0002 is pending on both.
    # Each job has its own runner, so its own workspace.
    staging_summary, production_summary = tmp_path / "staging.md", tmp_path / "production.md"
    staging = _play(PROMOTE, "staging", tmp_path / "staging", GOOD_REVISION, local_urls,
                    staging_summary)
    assert [o.returncode for o in staging] == [0, 0], _describe(staging)
    production = _play(PROMOTE, "production", tmp_path / "production", GOOD_REVISION,
                       local_urls, production_summary)
    assert [o.returncode for o in production] == [0, 0], _describe(production)
    # Each job explains itself in its step summary: what ran, and how long each revision took.
    for path, title in ((staging_summary, "## apply staging"),
                        (production_summary, "## promote prod")):
        text = path.read_text()
        assert title in text and "### Applied revisions" in text and "| 0003 |" in text, text
    for report_path in (tmp_path / "staging" / "nivomigrate-apply-staging.json",
                        tmp_path / "production" / "nivomigrate-promote-prod.json"):
        assert json.loads(report_path.read_text())["schema_version"] == 1
    _no_secret_leaked(gate + staging + production, summary.read_text())


def test_gate_blocks_a_plain_create_index(tmp_path, local_urls) -> None:
    summary = tmp_path / "summary.md"
    summary.touch()
    gate = _play(GATE, "gate", tmp_path / "gate", BLOCKED_REVISION, local_urls, summary)
    by_command = {(o.argv[0], o.argv[-1]): o for o in gate}
    fallback = [o for o in gate if o.argv[0] in ("apply", "promote")]
    assert [o.returncode for o in fallback] == [0, 0], _describe(gate)
    plan = by_command.get(("plan", "json"))
    github_plan = by_command.get(("render", "github"))
    assert plan and github_plan, "the plan steps did not run:\n" + _describe(gate)
    assert plan.returncode == 1, _describe(gate)  # the job fails here
    assert github_plan.returncode == 0, _describe(gate)
    annotations = [line for line in github_plan.stdout.splitlines() if line.startswith("::error")]
    # GitHub reads `file=` relative to the repository's root; the runner first makes an
    # absolute path relative to the workspace, where the gate checks the pull request out.
    files = [re.match(r"::error file=([^,]+),line=\d+", line) for line in annotations]
    files = [m[1] for m in files if m]
    assert any(re.fullmatch(r"versions/\w+_ci_case\.py", f) for f in files), github_plan.stdout
    assert len(annotations) == len(set(annotations))  # each finding once, not per environment
    assert "blocked" in summary.read_text()
    _no_secret_leaked(gate, summary.read_text())


def test_gate_summary_names_the_databases_it_read(tmp_path, local_urls) -> None:
    from urllib.parse import urlsplit

    summary = tmp_path / "summary.md"
    summary.touch()
    gate = _play(GATE, "gate", tmp_path / "gate", GOOD_REVISION, local_urls, summary)
    text = summary.read_text()
    for variable in ("STAGING_POSTGRES_URL_NON_POOLING", "PROD_POSTGRES_URL_NON_POOLING"):
        url = urlsplit(local_urls[variable])
        assert f"{url.hostname}:{url.port}{url.path}" in text, _describe(gate)
    _no_secret_leaked(gate, text)


def test_one_comment_created_then_updated_on_the_next_push_with_the_new_findings(
        tmp_path, local_urls, github_api) -> None:
    """Two pushes to one pull request: the comment is made once, then edited in place; the
    second push's blocking lint error is listed as new, the coverage warnings the base branch
    has too are not."""
    pull = PullRequest(github_api.url)
    summary = tmp_path / "summary.md"
    summary.touch()
    first = _play(GATE, "gate", tmp_path / "push-1", GOOD_REVISION, local_urls, summary,
                  pull=pull)
    assert first[-1].argv[0] == "comment" and first[-1].returncode == 0, _describe(first)
    assert "comment created" in first[-1].stdout
    second = _play(GATE, "gate", tmp_path / "push-2", BLOCKED_REVISION, local_urls, summary,
                   pull=pull)
    assert second[-1].argv[0] == "comment" and second[-1].returncode == 0, _describe(second)
    assert "comment updated" in second[-1].stdout
    assert [len(github_api.calls(m)) for m in ("POST", "PATCH", "DELETE")] == [1, 1, 0]
    (comment,) = github_api.comments(pull.number)
    body = comment["body"]
    new = body[body.index("### Findings new in this pull request"):]
    new = new[:new.index("\n### ") if "\n### " in new else len(new)]
    assert "❌ blocked" in body and REPORT_URL in body
    assert "require-concurrent-index-creation" in new and "hot-query-index" not in new
    assert '# nivomigrate: waive require-concurrent-index-creation "Log"' in new
    assert {c.authorization for c in github_api.calls()} == {"Bearer ghs_workflow_token"}
    _no_secret_leaked(first + second, body, summary.read_text())
