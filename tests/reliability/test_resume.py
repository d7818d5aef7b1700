"""Resumable runs: a five-step revision (a transactional group, CREATE INDEX CONCURRENTLY, a
constraint added NOT VALID and then validated, a new table) with a fault at every step boundary
of `promote prod` and `apply staging`, after its last commit (alembic_version moved; before,
during and after the verification), and a server restart inside a step. Each ends with a plain
re-run exiting 0, prod equal to staging, no INVALID index, no NOT VALID constraint, and every
step in the ledger once; after a fault of `apply staging`, `promote prod` then passes too.

The fault comes from `faulty_run.py`, which registers a hook on the runner's step boundaries
and sends the process SIGKILL (or SIGTERM) there. Staging (after its apply) and prod (at head)
are made once per module and copied from templates for each case.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from nivomigrate import shadow
from tests import forked_cli
from tests.reliability.conftest import Collector, Outcome, Runner, run_environment
from tests.reliability.helpers import (
    copy_project,
    current_revision,
    fingerprint,
    one_error,
    wait_until,
    write_revision,
)
from tests.steps.conftest import Project

FAULTY_RUN = Path(__file__).with_name("faulty_run.py")
REVISION_ID = "0003"
FIVE_STEPS = '''
op.add_column("Log", sa.Column("resumeTag", sa.Text))
op.execute('UPDATE "Log" SET "resumeTag" = level')
create_index_concurrently("Log_resumeTag_idx", "Log", ['"resumeTag"'])
with op.get_context().autocommit_block():
    op.execute('ALTER TABLE "Log" ADD CONSTRAINT "Log_resumeTag_check" '
               'CHECK (length("resumeTag") < 100) NOT VALID')
    op.execute('ALTER TABLE "Log" VALIDATE CONSTRAINT "Log_resumeTag_check"')
op.create_table("ResumeMarker", sa.Column("id", sa.BigInteger, primary_key=True))
'''
IMPORTS = "import sqlalchemy as sa\nfrom nivomigrate.ops import create_index_concurrently"
KINDS = {1: "transaction", 2: "statement", 3: "statement", 4: "statement", 5: "transaction"}
MOMENTS = ("before-execute", "after-execute", "after-record")


def _write_five_steps(project: Project) -> str:
    return write_revision(project, FIVE_STEPS, name="five_steps", imports=IMPORTS,
                          revision_id=REVISION_ID)


@pytest.fixture(scope="module")
def templates(tmp_path_factory, canary_admin_url: str, head_template: str,
              collector: Collector) -> Iterator[dict[str, str]]:
    """Template names: staging with the five-step revision applied and passed, prod at head
    before it; and `start`, head before anything (for the faults of `apply staging`)."""
    names = {env: shadow.scratch_name(f"nivo_resume_{env}") for env in ("staging", "prod")}
    urls = {env: shadow.create_database(canary_admin_url, name, head_template)
            for env, name in names.items()}
    project = copy_project(tmp_path_factory.mktemp("resume"), urls, canary_admin_url)
    _write_five_steps(project)
    outcome = Runner(collector)(project, "apply", "staging")
    assert outcome.code == 0, outcome
    yield {**names, "start": head_template}
    for name in names.values():
        shadow.drop_database(canary_admin_url, name)


@pytest.fixture
def resume_project(tmp_path, make_database, templates, canary_admin_url) -> Project:
    urls = {env: make_database(f"nivo_{env}", template=templates[env])
            for env in ("staging", "prod")}
    project = copy_project(tmp_path, urls, canary_admin_url)
    _write_five_steps(project)
    return project


def _faulty(cli: Runner, project: Project, fault: str, *args: str) -> Outcome:
    """Run nivomigrate through faulty_run.py with NIVO_TEST_FAULT=`fault`."""
    cli.urls += list(project.urls.values())
    process = forked_cli.start(
        *args, cwd=project.root, script=FAULTY_RUN,
        env=run_environment({**project.environ, "NIVO_TEST_FAULT": fault}))
    process.nivo_args = ("faulty", *args)  # type: ignore[attr-defined]
    process.nivo_started = time.monotonic()  # type: ignore[attr-defined]
    return cli.finish(process, timeout=120)


def _one(url: str, sql: str, params: tuple | None = None) -> tuple:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchone()


def _assert_recovered(project: Project, env: str = "prod") -> None:
    url = project.urls[env]
    assert current_revision(url) == REVISION_ID
    if env == "prod":
        assert fingerprint(url) == fingerprint(project.urls["staging"])
    assert _one(url, "select count(*) from pg_index where not indisvalid or not indisready") \
        == (0,), "no INVALID index is left"
    assert _one(url, "select count(*) from pg_constraint where not convalidated") == (0,), \
        "no NOT VALID constraint is left"
    assert _one(url, "select array_agg(step order by step), bool_and(status = 'applied'), "
                     "bool_and(complete) from nivomigrate.steps "
                     f"where revision = '{REVISION_ID}'") == ([1, 2, 3, 4, 5], True, True)
    assert _one(url, 'select count(*) = count("resumeTag") from "Log"') == (True,)


CASES = [(moment, step) for step in KINDS for moment in MOMENTS]


@pytest.mark.parametrize(("moment", "step"), CASES,
                         ids=[f"{m}-step{s}-{KINDS[s]}" for m, s in CASES])
def test_promote_killed_at_a_step_boundary_is_finished_by_a_plain_rerun(
        resume_project, cli, moment, step):
    killed = _faulty(cli, resume_project, f"{moment}:{REVISION_ID}:{step}", "promote", "prod")
    assert killed.code == -9, killed
    done = step if moment == "after-record" else step - 1
    rows = _one(resume_project.urls["prod"], "select count(*) from nivomigrate.steps "
                                              "where status = 'applied'")
    assert rows == (done,), "the ledger holds exactly the steps that committed and recorded"
    rerun = cli(resume_project, "promote", "prod")
    assert rerun.code == 0, rerun
    if done:
        assert f"resuming at step {done + 1} of 5" in rerun.stderr
    _assert_recovered(resume_project)


def _fresh_project(tmp_path, make_database, templates, canary_admin_url) -> Project:
    """Staging and prod at head, before the five-step revision (for faults of `apply`)."""
    urls = {env: make_database(f"nivo_{env}", template=templates["start"])
            for env in ("staging", "prod")}
    project = copy_project(tmp_path, urls, canary_admin_url)
    _write_five_steps(project)
    return project


def _passed_runs_listing(url: str, kind: str, revision: str = REVISION_ID) -> int:
    """How many passed runs of `kind` record `revision` (what promote's gate reads)."""
    return _one(url, "select count(*) from nivomigrate.runs where kind = %s and "
                     "status = 'passed' and revisions @> jsonb_build_array("
                     "jsonb_build_object('id', %s::text))", (kind, revision))[0]


def _rerun_apply_then_promote(cli: Runner, project: Project) -> Outcome:
    """The plain re-run of `apply staging`, then `promote prod`: both pass, prod = staging."""
    rerun = cli(project, "apply", "staging")
    assert rerun.code == 0, rerun
    _assert_recovered(project, "staging")
    assert _passed_runs_listing(project.urls["staging"], "apply") >= 1
    promoted = cli(project, "promote", "prod")
    assert promoted.code == 0, promoted
    _assert_recovered(project)
    return rerun


@pytest.mark.parametrize(("moment", "step"), [("after-execute", 2), ("after-execute", 3),
                                              ("after-record", 4), ("before-execute", 5)])
def test_apply_killed_at_a_step_boundary_is_finished_by_a_plain_rerun(
        tmp_path, make_database, templates, canary_admin_url, cli, moment, step):
    project = _fresh_project(tmp_path, make_database, templates, canary_admin_url)
    killed = _faulty(cli, project, f"{moment}:{REVISION_ID}:{step}", "apply", "staging")
    assert killed.code == -9, killed
    _rerun_apply_then_promote(cli, project)


# After the revision's last commit: alembic_version moved, the run not yet recorded passed.
AFTER_LAST_COMMIT = [f"after-version:{REVISION_ID}:0", "before-verify:*:0", "after-verify:*:0",
                     "after-finish:*:0"]


@pytest.mark.parametrize("fault", AFTER_LAST_COMMIT, ids=lambda f: f.split(":")[0])
def test_apply_killed_after_its_last_commit_is_finished_by_a_plain_rerun_and_promotes(
        tmp_path, make_database, templates, canary_admin_url, cli, fault):
    """The re-run finds nothing pending, yet records the revision the killed run applied (its
    SQL unchanged) in the run it verifies and passes: promote then finds it on staging."""
    project = _fresh_project(tmp_path, make_database, templates, canary_admin_url)
    killed = _faulty(cli, project, fault, "apply", "staging")
    assert killed.code == -9, killed
    assert current_revision(project.urls["staging"]) == REVISION_ID
    rerun = _rerun_apply_then_promote(cli, project)
    if not fault.startswith("after-finish"):  # the killed run had not passed
        assert "was applied by run #" in rerun.stderr, rerun
        assert "Finished revisions" in rerun.stdout, rerun


@pytest.mark.parametrize("fault", AFTER_LAST_COMMIT, ids=lambda f: f.split(":")[0])
def test_promote_killed_after_its_last_commit_is_finished_by_a_plain_rerun(
        resume_project, cli, fault):
    killed = _faulty(cli, resume_project, fault, "promote", "prod")
    assert killed.code == -9, killed
    assert current_revision(resume_project.urls["prod"]) == REVISION_ID
    rerun = cli(resume_project, "promote", "prod")
    assert rerun.code == 0, rerun
    _assert_recovered(resume_project)
    assert _passed_runs_listing(resume_project.urls["prod"], "promote") == 1


def test_apply_killed_between_two_revisions_records_both_and_promotes(
        tmp_path, make_database, templates, canary_admin_url, cli):
    project = _fresh_project(tmp_path, make_database, templates, canary_admin_url)
    second = write_revision(project, 'op.execute(\'ALTER TABLE "Device" ADD COLUMN "second" '
                                     'TEXT\')', name="second")
    killed = _faulty(cli, project, f"after-version:{REVISION_ID}:0", "apply", "staging")
    assert killed.code == -9, killed
    assert current_revision(project.urls["staging"]) == REVISION_ID
    rerun = cli(project, "apply", "staging")
    assert rerun.code == 0, rerun
    assert _passed_runs_listing(project.urls["staging"], "apply") == 1
    assert _passed_runs_listing(project.urls["staging"], "apply", second) == 1
    promoted = cli(project, "promote", "prod")
    assert promoted.code == 0, promoted
    assert current_revision(project.urls["prod"]) == second
    assert fingerprint(project.urls["prod"]) == fingerprint(project.urls["staging"])


def test_revision_edited_after_a_kill_past_its_last_commit_is_refused_until_restored(
        tmp_path, make_database, templates, canary_admin_url, cli):
    """The killed run's record of the revision is what the gate compares the file with."""
    project = _fresh_project(tmp_path, make_database, templates, canary_admin_url)
    killed = _faulty(cli, project, "before-verify:*:0", "apply", "staging")
    assert killed.code == -9, killed
    path = next((project.root / "versions").glob(f"{REVISION_ID}_*.py"))
    original = path.read_text()
    path.write_text(original.replace("SET \"resumeTag\" = level", "SET \"resumeTag\" = tag"))
    refused = cli(project, "apply", "staging")
    assert refused.code == 3, refused
    assert f"revision {REVISION_ID} was edited after it was applied to staging and its SQL " \
        "changed" in refused.stdout, refused
    path.write_text(original)
    _rerun_apply_then_promote(cli, project)


def test_a_ledger_stuck_by_an_earlier_version_is_finished_by_a_plain_rerun(
        tmp_path, make_database, templates, canary_admin_url, cli):
    """Earlier versions recorded the re-run after such a kill as a passed run of nothing
    ("verified only"), and promote refused 0003 for good; the next re-run now records it."""
    project = _fresh_project(tmp_path, make_database, templates, canary_admin_url)
    assert _faulty(cli, project, "before-verify:*:0", "apply", "staging").code == -9
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute("update nivomigrate.runs set status = 'failed' where status = 'running'")
        conn.execute("insert into nivomigrate.runs (kind, environment, from_revision, "
                     "to_revision, actor, status) values ('apply', 'staging', %s, %s, 'old', "
                     "'passed')", (REVISION_ID, REVISION_ID))
    _rerun_apply_then_promote(cli, project)


def test_sigterm_at_a_step_exits_143_and_leaves_the_state_a_sigkill_leaves(resume_project, cli):
    stopped = _faulty(cli, resume_project, f"after-execute:{REVISION_ID}:2:SIGTERM",
                      "promote", "prod")
    assert stopped.code == 143, stopped
    assert one_error(stopped) and "error: interrupted by SIGTERM" in stopped.stderr
    # Like SIGKILL after the build: step 2 is started, not recorded applied.
    assert _one(resume_project.urls["prod"], "select status from nivomigrate.steps "
                                              "where step = 2") == ("started",)
    rerun = cli(resume_project, "promote", "prod")
    assert rerun.code == 0, rerun
    assert "step 2/5 had taken effect" in rerun.stderr
    _assert_recovered(resume_project)


def test_step_failing_on_prod_data_is_shown_by_status_and_resumed_after_the_fix(
        resume_project, cli):
    prod = resume_project.urls["prod"]
    with psycopg.connect(prod, autocommit=True) as conn:  # a row VALIDATE (step 4) refuses
        conn.execute("set session_replication_role = replica")  # no Project row needed
        conn.execute('insert into "Log" (id, "projectId", message, level) '
                     "values ('long', 'none', 'm', repeat('x', 200))")
    failed = cli(resume_project, "promote", "prod")
    assert failed.code == 5, failed
    assert one_error(failed) and "step 4 of 5 (statement) failed" in failed.stderr
    assert "fix prod's data and re-run" in failed.stderr
    status = cli(resume_project, "status", "--format", "json")
    assert "0003: 3 of 5 steps applied, failed at step 4: revision 0003 step 4 of 5" \
        in status.stdout, status
    with psycopg.connect(prod, autocommit=True) as conn:
        conn.execute("delete from \"Log\" where id = 'long'")
    rerun = cli(resume_project, "promote", "prod")
    assert rerun.code == 0, rerun
    assert "resuming at step 4 of 5" in rerun.stderr
    _assert_recovered(resume_project)


def test_edited_recorded_step_is_refused_and_restoring_it_resumes(resume_project, cli):
    killed = _faulty(cli, resume_project, f"after-record:{REVISION_ID}:2", "promote", "prod")
    assert killed.code == -9, killed
    path = next((resume_project.root / "versions").glob(f"{REVISION_ID}_*.py"))
    original = path.read_text()
    path.write_text(original.replace("SET \"resumeTag\" = level", "SET \"resumeTag\" = tag"))
    refused = cli(resume_project, "promote", "prod", "--allow-dirty")
    assert refused.code == 3, refused  # the edited file (checksum) wins over staging-run
    assert "revision 0003 step 1 is not the SQL that ran on staging" in refused.stdout, refused
    path.write_text(original)
    rerun = cli(resume_project, "promote", "prod")
    assert rerun.code == 0, rerun
    _assert_recovered(resume_project)


def test_server_restart_inside_a_step_is_finished_by_a_plain_rerun(
        tmp_path, cli, probe, own_server, own_head_template, canary_admin_url):
    """The server stops (fast shutdown) while CREATE INDEX CONCURRENTLY waits inside its build
    and starts again: the run exits 4; the re-run settles the step by what the server shows.

    A fast shutdown ends every session at once, the one the build waits for among them, so
    the build either ends INVALID (the re-run drops it and builds it again) or, ended a moment
    after that session, finishes first (the re-run recognises it: recorded, not run again).
    Both happen here; a build killed for certain is test_faults'
    test_kill_inside_a_concurrently_build_then_rerun_rebuilds_the_index."""
    from tests.reliability.test_faults import pg_ctl

    urls = {env: shadow.create_database(own_server.url(), shadow.scratch_name(f"nivo_rs_{env}"),
                                        own_head_template) for env in ("staging", "prod")}
    project = copy_project(tmp_path, urls, canary_admin_url)
    _write_five_steps(project)
    assert cli(project, "apply", "staging").code == 0
    prod = probe(urls["prod"])
    cli.urls += list(urls.values())
    process = forked_cli.start(
        "promote", "prod", cwd=project.root, script=FAULTY_RUN,
        env=run_environment({**project.environ,
                             "NIVO_TEST_FAULT": f"before-execute:{REVISION_ID}:2:HOLD"}))
    process.nivo_args, process.nivo_started = ("faulty", "promote", "prod"), time.monotonic()
    wait_until(lambda: process.poll() is not None or prod.active_query(
        "CREATE INDEX CONCURRENTLY", waiting=True), what="the index build to wait")
    prod.close()
    pg_ctl(own_server, "stop", "-m", "fast")  # a restart: stop, then start again
    try:
        outcome = cli.finish(process)
    finally:
        pg_ctl(own_server, "start")
    assert outcome.code == 4, outcome
    assert one_error(outcome) and "lost the connection to prod" in outcome.stderr
    rerun = cli(project, "promote", "prod")
    assert rerun.code == 0, rerun
    assert "dropping the INVALID index" in rerun.stderr or \
        f"{REVISION_ID} step 2/5 had taken effect before the interruption" in rerun.stderr, rerun
    _assert_recovered(project)
