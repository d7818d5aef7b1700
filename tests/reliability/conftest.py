"""Reliability tests: nivomigrate as a real subprocess against real databases.

Every run of the command line goes through `cli` (or `cli.start` for a run in the background),
which keeps its stdout and stderr in the session's `collector`; at the end of each test the
ledgers of the databases it used are swept into the collector too, and
`test_secrets.py::test_canary_never_appears_in_any_output` (moved to the end of the session)
searches everything for the canary password.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from nivomigrate import shadow
from tests import forked_cli, servers
from tests.conftest import CANARY_PASSWORD
from tests.reliability.helpers import Probe, copy_project
from tests.steps import conftest as steps_conftest
from tests.steps.conftest import Project

# The `project` fixture (a project copy on staging/prod at head) and what it needs.
project = steps_conftest.project
head_template = steps_conftest.head_template
# Variables a run must only get from the test, never from the environment pytest runs in.
_OWN_VARIABLES = ("STAGING_POSTGRES_URL_NON_POOLING", "PROD_POSTGRES_URL_NON_POOLING",
                  "NIVOMIGRATE_SHADOW_URL", "POSTGRES_PRISMA_URL", "POSTGRES_READ_REPLICA_URL",
                  "POSTGRES_URL_NON_POOLING")
SECRETS_TEST = "test_secrets.py::test_canary_never_appears_in_any_output"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the secrets sweep after every other test of the session."""
    last = [item for item in items if item.nodeid.endswith(SECRETS_TEST)]
    items[:] = [item for item in items if item not in last] + last


# --- what the runs printed ---------------------------------------------------------------------

@dataclass
class Collector:
    """Every text the session's runs produced, labelled by where it came from."""

    texts: list[tuple[str, str]] = field(default_factory=list)

    def add(self, label: str, text: str) -> None:
        if text:
            self.texts.append((label, text))

    def add_ledgers(self, label: str, urls: list[str]) -> None:
        """Keep every ledger row of the databases at `urls` as text (missing ones skipped)."""
        for url in urls:
            try:
                with psycopg.connect(url, connect_timeout=5) as conn:
                    if conn.execute("select to_regclass('nivomigrate.runs')").fetchone()[0]:
                        rows = conn.execute("select r::text from nivomigrate.runs r").fetchall()
                        self.add(f"ledger {label}", "\n".join(row[0] for row in rows))
            except psycopg.Error:
                continue


@pytest.fixture(scope="session")
def collector() -> Collector:
    return Collector()


@dataclass
class Outcome:
    """How one run of nivomigrate ended."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return (f"Outcome({_shown(self.args)!r} -> {self.code} in {self.seconds:.1f} s"
                f"\n--- stdout\n{self.stdout[-3000:]}"
                f"\n--- stderr\n{self.stderr[-3000:]})")


def run_environment(environ: dict[str, str], remove: tuple[str, ...] = ()) -> dict[str, str]:
    """Return the process environment of a run: ours without project variables, plus `environ`."""
    base = {key: value for key, value in os.environ.items() if key not in _OWN_VARIABLES}
    merged = {**base, **environ, "CI": "true", "PYTHONUNBUFFERED": "1"}
    for key in remove:
        merged.pop(key, None)
    return merged


def _shown(args: tuple[str, ...]) -> str:
    """The command line with URL arguments left out (they carry the canary)."""
    return " ".join("<url>" if "://" in arg else arg for arg in args)


class Runner:
    """Runs `python -m nivomigrate` in a project folder and keeps all it prints."""

    def __init__(self, collector: Collector):
        self.collector = collector
        self.urls: list[str] = []

    def __call__(self, project: Project, *args: str, environ: dict[str, str] | None = None,
                 remove: tuple[str, ...] = (), timeout: float = 120) -> Outcome:
        process = self.start(project, *args, environ=environ, remove=remove)
        return self.finish(process, timeout=timeout)

    def start(self, project: Project, *args: str, environ: dict[str, str] | None = None,
              remove: tuple[str, ...] = ()) -> subprocess.Popen:
        """Start a run in the background; end it with `finish` (or `kill` then `finish`)."""
        values = project.environ if environ is None else environ
        self.urls += [url for key, url in values.items() if "URL" in key and "://" in url]
        process = forked_cli.start(*args, cwd=project.root,
                                   env=run_environment(values, remove))
        process.nivo_args = args  # type: ignore[attr-defined]
        process.nivo_started = time.monotonic()  # type: ignore[attr-defined]
        return process

    def finish(self, process: subprocess.Popen, timeout: float = 120) -> Outcome:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            stdout, stderr = process.communicate()
        outcome = Outcome(process.nivo_args, process.returncode, stdout, stderr,
                          time.monotonic() - process.nivo_started)
        label = _shown(outcome.args)
        if os.environ.get("NIVO_RELIABILITY_TRACE"):
            print(f"[{outcome.seconds:5.1f} s] exit {outcome.code}: {label}")
        self.collector.add(f"stdout of {label}", stdout)
        self.collector.add(f"stderr of {label}", stderr)
        return outcome

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the run: no handler, no cleanup, as when a CI runner is cancelled hard."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def cli(collector: Collector, make_database) -> Iterator[Runner]:
    """Run nivomigrate; afterwards sweep the ledgers of the databases the runs were given.

    It depends on `make_database` so that its teardown (the sweep) runs before the drops.
    """
    runner = Runner(collector)
    yield runner
    collector.add_ledgers("of a test database", sorted(set(runner.urls)))


@pytest.fixture(scope="module")
def shared_databases(canary_admin_url: str, head_template: str,
                     collector: Collector) -> Iterator[dict[str, str]]:
    """Staging and prod at head, shared by a module's tests that must change nothing."""
    names = {env: shadow.scratch_name(f"nivo_rel_{env}") for env in ("staging", "prod")}
    urls = {env: shadow.create_database(canary_admin_url, name, head_template)
            for env, name in names.items()}
    yield urls
    collector.add_ledgers("of a shared database", list(urls.values()))
    for name in names.values():
        shadow.drop_database(canary_admin_url, name)


@pytest.fixture
def shared_project(tmp_path: Path, shared_databases: dict[str, str],
                   canary_admin_url: str) -> Project:
    """A fresh copy of the project files on the module's shared databases."""
    return copy_project(tmp_path, dict(shared_databases), canary_admin_url)


@pytest.fixture
def probe() -> Iterator[Callable[[str], Probe]]:
    opened: list[Probe] = []

    def open_probe(url: str) -> Probe:
        opened.append(Probe(url))
        return opened[-1]

    yield open_probe
    for item in opened:
        item.close()


# --- a private server, which tests may stop -----------------------------------------------------

@pytest.fixture(scope="session")
def own_server() -> Iterator[servers.RunningServer]:
    """A primary of our own (tests stop it; never the shared server); `postgres` logs in
    with the canary password. Its log is `data_dir.parent / "server.log"`."""
    servers.skip_unless(servers.postgres_binaries(),
                        "PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    with servers.workspace("nivo-reliability-") as folder:
        with servers.private_server(folder / "primary", password=CANARY_PASSWORD) as server:
            yield server


@pytest.fixture(scope="session")
def own_head_template(own_server, head_template) -> str:
    """The head schema as a template database on the private server (built once)."""
    from nivomigrate import migrations
    from nivomigrate.engine.build import ensure_template

    versions = Path(__file__).resolve().parents[2] / "versions"
    return ensure_template(own_server.url(), versions, migrations.head(versions))
