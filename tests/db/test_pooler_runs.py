"""The command line through real PgBouncers, as CI reaches Supabase (Supavisor's session mode).

Session mode with `ignore_startup_parameters = options` (the startup `-c` options are dropped,
as Supavisor does): plan, apply staging and promote prod work once allowed (by the config and by
NIVOMIGRATE_ALLOW_SESSION_POOLER), the lock timeout is in force (a blocker makes the revision
give up), and without the allowance the run is exit 2. Transaction mode is refused even when
allowed, with nothing changed. A URL whose own options make the session read-only is refused for
writing commands and accepted for reading ones, directly and through the session pooler.
"""

from __future__ import annotations

import os
import subprocess

import psycopg
import pytest

from nivomigrate.urls import with_query
from tests import forked_cli
from tests.conftest import CANARY_PASSWORD
from tests.reliability.helpers import current_revision, state, write_revision
from tests.steps import conftest as steps_conftest
from tests.steps.conftest import COPIED_MODELS

project = steps_conftest.project
head_template = steps_conftest.head_template

FLAG = "NIVOMIGRATE_ALLOW_SESSION_POOLER"
_OWN = ("STAGING_POSTGRES_URL_NON_POOLING", "PROD_POSTGRES_URL_NON_POOLING",
        "NIVOMIGRATE_SHADOW_URL", "POSTGRES_PRISMA_URL", "POSTGRES_READ_REPLICA_URL",
        "POSTGRES_URL_NON_POOLING", FLAG)
READ_ONLY = "-c default_transaction_read_only=on"
# Data only: the models stay true (the merge gate passes); it needs a lock on "Plan".
TOUCH_PLAN = """op.execute('UPDATE "Plan" SET "description" = "description" WHERE false')"""


def _run(project, environ: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in _OWN}
    result = forked_cli.run(*args, cwd=project.root, env={**base, **environ, "CI": "true"},
                            timeout=180)
    assert CANARY_PASSWORD not in result.stdout + result.stderr
    return result


def _through(bouncer, project) -> dict[str, str]:
    """The project's run environment with staging and prod reached through `bouncer`."""
    urls = {env: bouncer.url(url.rsplit("/", 1)[1]) for env, url in project.urls.items()}
    return {**project.environ, "STAGING_POSTGRES_URL_NON_POOLING": urls["staging"],
            "PROD_POSTGRES_URL_NON_POOLING": urls["prod"]}


def _configure(project, *, allow: bool) -> None:
    """Rewrite the project's nivomigrate.toml: the allowance, and a 200 ms lock timeout."""
    flag = "allow_session_pooler = true\n" if allow else ""
    (project.root / "nivomigrate.toml").write_text(
        f'models = "{COPIED_MODELS}"\n'
        f'[environments.staging]\n{flag}\n'
        f'[environments.prod]\npromoted_from = "staging"\n{flag}\n'
        "[timeouts]\nlock_timeout_ms = 200\nlock_retries = 1\n")


@pytest.fixture
def session_bouncer(start_pgbouncer):
    return start_pgbouncer(pool_mode="session", ignore_startup_parameters=("options",))


def test_session_pooler_runs_plan_apply_and_promote_once_allowed(project, session_bouncer):
    write_revision(project, TOUCH_PLAN, name="touch_plan")
    environ = _through(session_bouncer, project)
    _configure(project, allow=False)
    refused = _run(project, environ, "plan", "all", "--gate", "merge")
    assert refused.returncode == 2, refused.stderr
    assert "startup options did not reach the server" in refused.stderr
    assert "allow_session_pooler" in refused.stderr
    planned = _run(project, {**environ, FLAG: "1"}, "plan", "all", "--gate", "merge")
    assert planned.returncode == 0, planned.stdout + planned.stderr

    _configure(project, allow=True)
    with psycopg.connect(project.urls["staging"]) as blocker:
        blocker.execute('lock table "Plan" in share mode')  # blocks the UPDATE until rollback
        blocked = _run(project, environ, "apply", "staging")
        blocker.rollback()
    assert blocked.returncode == 5, blocked.stderr
    assert "gave up after 1 lock timeouts (200 ms each)" in blocked.stderr
    applied = _run(project, environ, "apply", "staging")
    assert applied.returncode == 0, applied.stdout + applied.stderr

    _configure(project, allow=False)
    promoted = _run(project, {**environ, FLAG: "staging,prod"}, "promote", "prod")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    assert current_revision(project.urls["prod"]) == project.head()


def test_transaction_pooler_is_refused_with_the_flag_and_nothing_changes(project,
                                                                         start_pgbouncer):
    bouncer = start_pgbouncer(pool_mode="transaction", default_pool_size=1,
                              ignore_startup_parameters=("options",))
    project.add_revision()
    before = state(project)
    refused = _run(project, {**_through(bouncer, project), FLAG: "1"}, "apply", "staging")
    assert refused.returncode == 2, refused.stderr
    assert "transaction pooler shares backends" in refused.stderr
    assert state(project) == before


@pytest.mark.parametrize("path", ["direct", "session-pooler"])
def test_read_only_url_options_refuse_writes_and_serve_reads(project, session_bouncer, path):
    project.add_revision()
    environ = dict(project.environ) if path == "direct" else {
        **_through(session_bouncer, project), FLAG: "1"}
    environ["STAGING_POSTGRES_URL_NON_POOLING"] = with_query(
        environ["STAGING_POSTGRES_URL_NON_POOLING"], options=READ_ONLY)
    before = state(project)
    refused = _run(project, environ, "apply", "staging")
    assert refused.returncode == 2, refused.stderr
    assert "read-only (the URL's options: default_transaction_read_only=on)" in refused.stderr
    assert state(project) == before
    status = _run(project, environ, "status", "staging")
    assert status.returncode == 0, status.stdout + status.stderr
