"""The reusable fleet workflow (.github/workflows/fleet.yml), played as GitHub would run it on a
throw-away repository (tests/adopter_project.py) with four empty targets in three waves: a
target of wave 2 gets a hand-made table after the plan, so its promotion is refused and the gate
before wave 3 halts the fleet; fixed, the workflow again promotes only the two behind.

As the other workflow tests do, steps are taken from the YAML in order and `uses:` steps are
played by the test: checkout = a copy of the repository per job (each job has its own
runner), setup-python and the install = this virtualenv, upload-artifact = the files must exist
and are kept under the artifact's name, download-artifact = the kept files matching its
pattern. The jobs run in the order of `needs:`; a job's `if:`, its matrix (the plan job's
outputs) and `secrets[matrix.url-env]` are evaluated for the forms the workflow uses.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import psycopg
import pytest
import yaml

from nivomigrate import migrations
from tests.adopter_project import make_adopter_project
from tests.github.test_workflow_commands import _nivomigrate, _no_secret_leaked, _parse, _steps
from tests.report_schema import schema_errors

REPO = Path(__file__).resolve().parents[2]
FLEET = REPO / ".github" / "workflows" / "fleet.yml"
TARGETS = ("canary", "eu", "us", "asia")
WAVES = '[["canary"], ["eu", "us"], ["asia"]]'
# The change the fleet promotes: a unique index, which fails on duplicate author names.
UNIQUE_NAMES = '''"""unique author names"""
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade():
    with op.get_context().autocommit_block():
        op.execute("CREATE UNIQUE INDEX CONCURRENTLY author_name_key ON author (name)")


def downgrade():
    with op.get_context().autocommit_block():
        op.execute("DROP INDEX CONCURRENTLY author_name_key")
'''
UNIQUE_MODELS_LINE = ('Table("author", metadata, Column("id", Integer, primary_key=True),\n'
                      '      Column("name", Text, nullable=False),\n'
                      '      Index("author_name_key", "name", unique=True))\n')


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


# -- the shape ---------------------------------------------------------------------------------

def test_waves_follow_the_plan_and_each_gate_and_promote_one_target_each() -> None:
    jobs = _load(FLEET)["jobs"]
    waves = sorted(name for name in jobs if name.startswith("wave-"))
    assert waves == [f"wave-{n}" for n in range(1, len(waves) + 1)] and len(waves) >= 3
    plan_run = next(s.run for s in _steps(FLEET, "plan") if s.run and "fleet plan" in s.run)
    assert f"--max-waves {len(waves)}" in plan_run
    for number, name in enumerate(waves, start=1):
        job = jobs[name]
        assert job["strategy"]["matrix"] == f"${{{{ fromJSON(needs.plan.outputs.wave-{number}) }}}}"
        assert job["strategy"]["max-parallel"] == \
            "${{ fromJSON(needs.plan.outputs.max-parallel) }}"
        assert job["strategy"]["fail-fast"] is False  # never cancel a promotion halfway
        assert job["env"]["NIVOMIGRATE_FLEET_TARGET_URL"].startswith(
            "${{ secrets[matrix.url-env] }}")  # only its own target's secret
        assert "NIVOMIGRATE_FLEET_URLS" not in job["env"]
        commands = [_parse(s.run)[1][:2] for s in _steps(FLEET, name)
                    if s.run and _parse(s.run)[0] == "nivomigrate"]
        assert commands == [["nivomigrate", "promote"], ["nivomigrate", "render"]]
        if number > 1:
            assert job["needs"] == ["plan", f"gate-{number}"]
            assert f"needs.gate-{number}.result == 'success'" in job["if"]
            gate = [_parse(s.run)[1] for s in _steps(FLEET, f"gate-{number}") if s.run
                    and "fleet gate" in s.run]
            assert gate and gate[0][-4:] == ["--wave", str(number), "--reports", "fleet-reports"]
            assert "secrets" not in json.dumps(jobs[f"gate-{number}"])  # reads no database


def test_nivomigrate_comes_from_a_package_index_or_a_git_ref() -> None:
    import tomllib

    targets = {_parse(s.run)[1][-1] for s in _steps(FLEET) if s.run
               and _parse(s.run)[0] == "install"}
    assert targets == {"nivomigrate==$NIVOMIGRATE_VERSION",
                       "git+$GITHUB_SERVER_URL/$NIVOMIGRATE_REPOSITORY@$NIVOMIGRATE_REF"}
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert _load(FLEET)[True]["workflow_call"]["inputs"]["nivomigrate-version"]["default"] \
        == version


# -- playing it -------------------------------------------------------------------------------

class Run:
    """One run of the workflow: its jobs' results and outputs, and its artifacts."""

    def __init__(self, tmp: Path, repository: Path, secrets: dict[str, str], env: dict):
        self.tmp, self.repository, self.secrets, self.env = tmp, repository, secrets, env
        self.inputs = {"fleet": "prod", "working-directory": ".", "allow-session-pooler": "1",
                       "nivomigrate-version": "0.1.0", "nivomigrate-ref": "",
                       "nivomigrate-repository": "", "python-version": "3.11"}
        self.results: dict[str, str] = {}
        self.outputs: dict[str, dict[str, str]] = {}
        self.artifacts: dict[str, dict[str, str]] = {}
        self.played: list[tuple[str, str, int, str]] = []  # job, command, exit code, output

    def value(self, expression: str, matrix: dict, steps: dict):
        expression = expression.strip()
        if match := re.fullmatch(r"inputs\.([\w-]+)", expression):
            return self.inputs[match[1]]
        if match := re.fullmatch(r"secrets\.(\w+)", expression):
            return self.secrets.get(match[1], "")
        if expression == "secrets[matrix.url-env]":
            return self.secrets.get(matrix["url-env"], "")
        if match := re.fullmatch(r"matrix\.([\w-]+)", expression):
            return matrix[match[1]]
        if match := re.fullmatch(r"needs\.([\w-]+)\.result", expression):
            return self.results.get(match[1], "skipped")
        if match := re.fullmatch(r"needs\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return self.outputs.get(match[1], {}).get(match[2], "")
        if match := re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            return steps.get(match[1], {}).get(match[2], "")
        if match := re.fullmatch(r"fromJSON\((.+)\)", expression):
            return json.loads(self.value(match[1], matrix, steps))
        if match := re.fullmatch(r"'([^']*)'", expression):
            return match[1]
        if re.fullmatch(r"\d+", expression):
            return int(expression)
        assert expression == "!cancelled()", f"the test cannot evaluate {expression!r}"
        return True

    def text(self, template, matrix: dict, steps: dict):
        template = str(template)
        whole = re.fullmatch(r"\$\{\{(.*?)\}\}", template.strip())
        if whole:  # a whole expression keeps its type (a matrix, a number)
            return self.value(whole[1], matrix, steps)
        return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(self.value(m[1], matrix, steps)),
                      template)

    def condition(self, text: str | None, matrix: dict, steps: dict, failed: bool) -> bool:
        text = re.sub(r"^\$\{\{\s*(.*?)\s*\}\}$", r"\1", (text or "").strip())
        if not text:
            return not failed
        result = True
        for term in text.split("&&"):
            if match := re.fullmatch(r"\s*(.+?)\s*(==|!=|>=)\s*(.+?)\s*", term):
                left, right = (self.value(match[i], matrix, steps) for i in (1, 3))
                if match[2] == ">=":
                    result &= int(left or 0) >= int(right)
                else:
                    result &= (str(left) == str(right)) == (match[2] == "==")
            else:
                result &= bool(self.value(term, matrix, steps))
        return result and (not failed or "!cancelled()" in text)

    def play(self) -> None:
        """Run every job in the order of `needs:` (the file's order respects it)."""
        for name, job in _load(FLEET)["jobs"].items():
            needs = job.get("needs", [])
            needs = [needs] if isinstance(needs, str) else needs
            default_if = "success()" if any(self.results.get(n) != "success" for n in needs) \
                else ""
            if not self.condition(job.get("if"), {}, {}, False) or (
                    "if" not in job and default_if):
                self.results[name] = "skipped"
                continue
            matrix = job.get("strategy", {}).get("matrix")
            entries = self.text(matrix, {}, {})["include"] if matrix else [{}]
            results = [self._play_job(name, job, entry) for entry in entries]
            self.results[name] = "success" if all(results) else "failure"

    def _play_job(self, name: str, job: dict, matrix: dict) -> bool:
        workspace = self.tmp / f"{name}-{matrix.get('target', 'job')}"
        steps: dict[str, dict[str, str]] = {}
        job_env = {k: str(self.text(v, matrix, steps)) for k, v in job.get("env", {}).items()}
        failed = False
        for number, step in enumerate(_steps(FLEET, name)):
            raw = job["steps"][number]
            if not self.condition(step.condition, matrix, steps, failed):
                continue
            if step.uses:
                self._uses(step, workspace, matrix, steps)
                continue
            kind, argv, redirect = _parse(step.run)
            if kind == "install":
                continue  # this virtualenv has nivomigrate
            outputs = workspace.parent / f"{workspace.name}-{number}.out"
            outputs.write_text("")
            env = {**self.env, **job_env, "GITHUB_OUTPUT": str(outputs),
                   **{k: str(self.text(v, matrix, steps)) for k, v in step.env.items()}}
            words = [_expanded(a, env) for a in argv[1:]]
            done = subprocess.run([_nivomigrate(), *words], cwd=workspace, env=env,
                                  capture_output=True, text=True, timeout=600)
            if redirect is not None:
                (workspace / _expanded(redirect[1], env)).write_text(done.stdout)
            steps[raw.get("id", str(number))] = dict(
                line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line)
            self.played.append((name, " ".join(words[:2]) + f" {matrix.get('target', '')}",
                                done.returncode, done.stdout + done.stderr))
            failed = failed or done.returncode != 0
        self.outputs[name] = {k: str(self.text(v, matrix, steps))
                              for k, v in job.get("outputs", {}).items()}
        return not failed

    def _uses(self, step, workspace: Path, matrix: dict, steps: dict) -> None:
        if step.uses.startswith("actions/checkout@"):
            shutil.copytree(self.repository, workspace)
        elif step.uses.startswith("actions/upload-artifact@"):
            name = self.text(step.with_["name"], matrix, steps)
            files = {}
            for path in str(self.text(step.with_["path"], matrix, steps)).split():
                assert (workspace / path).is_file(), f"the artifact {name} lacks {path}"
                files[Path(path).name] = (workspace / path).read_text()
            self.artifacts[name] = files
        elif step.uses.startswith("actions/download-artifact@"):
            assert step.with_["merge-multiple"] is True
            folder = workspace / str(self.text(step.with_["path"], matrix, steps))
            folder.mkdir(parents=True, exist_ok=True)
            for name, files in self.artifacts.items():
                if fnmatch.fnmatch(name, step.with_["pattern"]):
                    for file, text in files.items():
                        (folder / file).write_text(text)

    def describe(self) -> str:
        return "\n".join(f"[{code}] {job}: {command}\n{_errors_in(output) or output[-1500:]}"
                         for job, command, code, output in self.played)


def _expanded(token: str, env: dict[str, str]) -> str:
    """bash's expansion of $NAME (no value of the workflow's variables has a space)."""
    return re.sub(r"\$(\w+)", lambda m: env.get(m[1], ""), token)


def _errors_in(output: str) -> str:
    """The error findings of a JSON report (what a failed step's log would show first)."""
    try:
        document = json.loads(output[:output.rindex("}") + 1])
    except ValueError:
        return ""
    return "\n".join(f"{f['check']}: {f['message']}" for f in document.get("findings", [])
                     if f["severity"] == "error")


def _config() -> str:
    targets = "".join(f'[environments.{t}]\nurl_env = "{t.upper()}_URL"\n'
                      'promoted_from = "staging"\n' for t in TARGETS)
    return ('versions = "db/versions"\nmodels = "app.models"\n\n[environments.staging]\n'
            + targets + f"[fleets.prod]\nwaves = {WAVES}\nmax_failures = 0\n"
            "soak_seconds = 1\nmax_parallel = 2\n")


@pytest.fixture
def fleet_repository(tmp_path, make_database, canary_admin_url):
    """The adopter's repository with a fleet of four empty targets (the revisions create their
    schema) and the change, 0001 and 0002, applied to staging."""
    urls = {"STAGING_POSTGRES_URL_NON_POOLING": make_database("nivo_fleet_staging")}
    urls |= {f"{t.upper()}_URL": make_database(f"nivo_fleet_{t}") for t in TARGETS}
    repository = tmp_path / "repository"
    make_adopter_project(repository)
    (repository / "nivomigrate.toml").write_text(_config())
    models = repository / "app" / "models.py"
    models.write_text(models.read_text().replace(
        'Table("author", metadata, Column("id", Integer, primary_key=True),\n'
        '      Column("name", Text, nullable=False))\n', UNIQUE_MODELS_LINE)
        .replace("MetaData, Table", "Index, MetaData, Table"))
    (repository / "db" / "versions" / "0002_unique_author_names.py").write_text(UNIQUE_NAMES)
    env = {**os.environ, **urls, "NIVOMIGRATE_SHADOW_URL": canary_admin_url}
    done = subprocess.run([_nivomigrate(), "apply", "staging"], cwd=repository, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return repository, urls, env


def _revisions(urls: dict[str, str]) -> dict[str, str | None]:
    found = {}
    for target in TARGETS:
        with psycopg.connect(urls[f"{target.upper()}_URL"]) as conn:
            found[target] = migrations.current_revision(conn)
    return found


def _hand_made_table(url: str, drop: bool = False) -> None:
    """A table made by hand in a target: its promotion is refused (no revision recorded)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE author" if drop else
                     "CREATE TABLE author (id int PRIMARY KEY, name text)")


def test_a_wave_that_fails_halts_the_rest_and_a_rerun_promotes_only_what_is_behind(
        tmp_path, fleet_repository, canary_admin_url) -> None:
    repository, urls, _ = fleet_repository
    targets = {name: url for name, url in urls.items()
               if name != "STAGING_POSTGRES_URL_NON_POOLING"}
    secrets = {**urls, "NIVOMIGRATE_LEDGER_KEY": "",
               "NIVOMIGRATE_FLEET_URLS": "\n".join(f"{k}={v}" for k, v in targets.items())}
    env = {"PATH": f"{Path(_nivomigrate()).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "HOME": os.environ.get("HOME", str(tmp_path)), "LANG": "C.UTF-8", "CI": "true",
           "GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "ada",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "NIVOMIGRATE_SHADOW_URL": canary_admin_url}

    # First run: the plan passes; then someone makes a table by hand in "us" before its wave.
    first = Run(tmp_path / "run-1", repository, secrets, env)
    (tmp_path / "run-1").mkdir()
    jobs = _load(FLEET)["jobs"]
    original = first._play_job

    def play_job(name, job, matrix):
        if name == "wave-2" and matrix.get("target") == "us":
            _hand_made_table(urls["US_URL"])
        return original(name, job, matrix)

    first._play_job = play_job
    first.play()
    assert first.results["plan"] == "success", first.describe()
    plan = json.loads(first.artifacts["fleet-plan"]["fleet-plan.json"])
    assert [[i["target"] for i in wave["include"]] for wave in plan["data"]["matrix"]["waves"]] \
        == json.loads(WAVES)
    assert plan["data"]["matrix"]["waves"][1]["include"][0]["url-env"] == "EU_URL"
    assert schema_errors(plan) == []
    assert first.outputs["plan"]["max-parallel"] == "2"
    assert (first.results["wave-1"], first.results["wave-2"]) == ("success", "failure")
    assert first.results["gate-3"] == "failure" and first.results["wave-3"] == "skipped"
    gate = next(out for job, command, _, out in first.played if job == "gate-3")
    assert "fleet-halt" in gate and "us" in gate
    assert _revisions(urls) == {"canary": "0002", "eu": "0002", "us": None, "asia": None}
    assert set(jobs) >= {"wave-4", "gate-4"} and first.results["wave-4"] == "skipped"

    # Fixed, the workflow again: only "us" and "asia" are in the matrix, wave by wave.
    _hand_made_table(urls["US_URL"], drop=True)
    second = Run(tmp_path / "run-2", repository, secrets, env)
    (tmp_path / "run-2").mkdir()
    second.play()
    assert second.results["plan"] == "success", second.describe()
    assert second.results["wave-1"] == "skipped"  # the canary is at head
    assert [second.results[j] for j in ("gate-2", "wave-2", "gate-3", "wave-3")] == \
        ["success"] * 4, second.describe()
    promoted = [command.split()[-1] for job, command, _, _ in second.played
                if command.startswith("promote")]
    assert promoted == ["us", "asia"]
    assert _revisions(urls) == dict.fromkeys(TARGETS, "0002")

    status = subprocess.run([_nivomigrate(), "fleet", "status", "prod", "--format", "json"],
                            cwd=repository, env={**env, **urls}, capture_output=True, text=True,
                            timeout=600)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["data"]["at_head"] == len(TARGETS)
    assert schema_errors(status.stdout) == []
    gate = json.loads(second.artifacts["fleet-promote-asia"]["promote-asia.json"])
    assert gate["verdict"] == "pass" and schema_errors(gate) == []
    _no_secret_leaked([], *(out for *_, out in first.played + second.played))
