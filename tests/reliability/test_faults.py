"""Faults during a promotion: the process killed at each step, its backend terminated, the
server gone, a blocker that outlasts every retry. Each moment is found from the outside, by
polling the databases (the ledger's running row, alembic_version, pg_stat_activity); then a
re-run of `promote prod` finishes the job and prod's schema equals staging's."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import psycopg

from nivomigrate import ledger
from nivomigrate.db import SessionSettings, _options
from tests.reliability.helpers import (
    PAUSE_IMPORTS,
    PAUSE_IN_PYTHON,
    PAUSE_IN_SQL,
    copy_project,
    current_revision,
    fingerprint,
    ledger_rows,
    one_error,
    paused,
    wait_until,
    write_revision,
)

ADD_COLUMN = 'op.execute(\'ALTER TABLE "Device" ADD COLUMN "{column}" TEXT\')'


def _apply_staging(project, cli) -> None:
    outcome = cli(project, "apply", "staging")
    assert outcome.code == 0, outcome


def _finish_after_kill(project, cli, killed_run: int) -> None:
    """Re-run the promotion until the orphaned backends are gone; check the result."""
    deadline = time.monotonic() + 15
    while True:
        outcome = cli(project, "promote", "prod")
        if outcome.code != 6 or time.monotonic() > deadline:
            break
        # The killed run's backend still holds the lock: it must be named.
        assert re.search(r"holds the lock of prod: pid \d+", outcome.stderr), outcome
        time.sleep(1)
    assert outcome.code == 0, outcome
    rows = {row[0]: row for row in ledger_rows(project.urls["prod"])}
    assert rows[killed_run][2] == "failed"
    assert rows[killed_run][5].startswith("interrupted")
    newest = max(rows)
    assert newest > killed_run and rows[newest][1:3] == ("promote", "passed")
    assert current_revision(project.urls["prod"]) == current_revision(project.urls["staging"])
    assert fingerprint(project.urls["prod"]) == fingerprint(project.urls["staging"])


def _kill_when(project, cli, probe, detect, *, pause: int = 3, timeout: float = 30) -> int:
    """Start `promote prod`, SIGKILL it as soon as `detect(prod_probe)` holds; return the run id
    the killed process left running."""
    prod = probe(project.urls["prod"])
    process = cli.start(project, "promote", "prod", environ=paused(project, pause))
    try:
        wait_until(lambda: process.poll() is not None or detect(prod), timeout=timeout,
                   every=0.01, what="the moment to kill")
        killed = process.poll() is None
        if killed:
            cli.kill(process)
    finally:
        if process.poll() is None:
            process.kill()
        outcome = cli.finish(process)
    assert killed, f"the run ended before the moment came: {outcome!r}"
    run_id = prod.running_run()
    assert run_id is not None, "the killed run must be left 'running' (no cleanup on SIGKILL)"
    return run_id


def test_kill_before_the_first_revision_then_rerun_finishes(project, cli, probe):
    first = write_revision(project, PAUSE_IN_PYTHON + ADD_COLUMN.format(column="beforeFirst"),
                           name="before_first", imports=PAUSE_IMPORTS)
    _apply_staging(project, cli)
    start = current_revision(project.urls["prod"])
    run_id = _kill_when(project, cli, probe,
                        lambda prod: prod.running_run() and prod.revision() == start)
    assert current_revision(project.urls["prod"]) == start != first
    _finish_after_kill(project, cli, run_id)


def test_kill_inside_a_revision_then_rerun_finishes(project, cli, probe):
    write_revision(project, ADD_COLUMN.format(column="insideOne") + PAUSE_IN_SQL,
                   name="inside_revision", imports=PAUSE_IMPORTS)
    _apply_staging(project, cli)
    start = current_revision(project.urls["prod"])
    run_id = _kill_when(project, cli, probe, lambda prod: prod.active_query("pg_sleep(3)"))
    # The revision's transaction never committed: prod stays at its last good revision.
    assert current_revision(project.urls["prod"]) == start
    _finish_after_kill(project, cli, run_id)


def test_kill_between_revisions_then_rerun_applies_only_the_rest(project, cli, probe):
    first = write_revision(project, ADD_COLUMN.format(column="betweenOne"), name="between_one")
    write_revision(project, PAUSE_IN_PYTHON + ADD_COLUMN.format(column="betweenTwo"),
                   name="between_two", imports=PAUSE_IMPORTS)
    _apply_staging(project, cli)
    run_id = _kill_when(project, cli, probe,
                        lambda prod: prod.running_run() and prod.revision() == first)
    assert current_revision(project.urls["prod"]) == first
    _finish_after_kill(project, cli, run_id)
    newest = ledger_rows(project.urls["prod"])[-1]
    assert newest[3] == first  # the re-run started from the first revision, not again before it


def test_kill_inside_a_concurrently_build_then_rerun_rebuilds_the_index(project, cli, probe):
    write_revision(project, 'create_index_concurrently("Log_reliability_tag_level_idx", "Log", '
                            '[\'"tag"\', \'"level"\'])', name="concurrent_index",
                   imports="from nivomigrate.ops import create_index_concurrently")
    _apply_staging(project, cli)
    blocker = psycopg.connect(project.urls["prod"])  # an open transaction that writes "Log"
    try:
        blocker.execute('LOCK TABLE "Log" IN ROW EXCLUSIVE MODE')
        run_id = _kill_when(project, cli, probe, lambda prod: prod.active_query(
            "CREATE INDEX CONCURRENTLY", waiting=True))
        prod = probe(project.urls["prod"])
        wait_until(lambda: not prod.nivomigrate_pids(), timeout=10,
                   what="the server to end the killed client's sessions")
        valid = prod.conn.execute("select i.indisvalid from pg_index i join pg_class c on "
                                  "c.oid = i.indexrelid where c.relname = %s",
                                  ("Log_reliability_tag_level_idx",)).fetchone()
        assert valid == (False,), "the interrupted build leaves an INVALID index behind"
    finally:
        blocker.rollback()
        blocker.close()
    _finish_after_kill(project, cli, run_id)
    valid = probe(project.urls["prod"]).conn.execute(
        "select i.indisvalid from pg_index i join pg_class c on c.oid = i.indexrelid "
        "where c.relname = 'Log_reliability_tag_level_idx'").fetchall()
    assert valid == [(True,)]


def test_kill_after_the_last_revision_before_verification_then_rerun_verifies(
        project, cli, probe):
    head = write_revision(project, ADD_COLUMN.format(column="lastOne") + PAUSE_IN_SQL,
                          name="before_verify", imports=PAUSE_IMPORTS)
    _apply_staging(project, cli)
    staging_db = project.urls["staging"].rsplit("/", 1)[1]
    catalog_lock = psycopg.connect(project.urls["staging"])

    def verifying(prod) -> bool:
        # Once the revision runs, staging's preflight is over: hold staging's pg_class so the
        # verification's snapshot of staging waits, after prod reached the head revision.
        if prod.active_query("pg_sleep(3)") and not catalog_lock.info.transaction_status:
            catalog_lock.execute("LOCK TABLE pg_catalog.pg_class IN ACCESS EXCLUSIVE MODE")
        waiting = prod.conn.execute(
            "select 1 from pg_stat_activity where datname = %s and "
            "application_name like 'nivomigrate%%' and wait_event_type = 'Lock'",
            (staging_db,)).fetchone()
        return bool(waiting) and prod.revision() == head and prod.running_run()

    try:
        run_id = _kill_when(project, cli, probe, verifying, pause=3)
    finally:
        catalog_lock.rollback()
        catalog_lock.close()
    assert current_revision(project.urls["prod"]) == head
    _finish_after_kill(project, cli, run_id)
    # Nothing left to apply: the re-run verified, and records the revision the killed run
    # applied as its own.
    newest = ledger_rows(project.urls["prod"])[-1]
    assert newest[3] == head
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute("select revisions -> 0 ->> 'id' from nivomigrate.runs "
                            "where id = %s", (newest[0],)).fetchone() == (head,)


def _orphan(url: str, options: str) -> tuple[int, float]:
    """Take the run lock in a client that then sleeps in a query, SIGKILL the client, and
    return its backend's pid and when it was killed: an orphaned backend, as a killed run
    leaves when it is busy."""
    holder = subprocess.Popen([sys.executable, "-c", f"""
import psycopg, sys
conn = psycopg.connect(sys.argv[1], autocommit=True, application_name="nivomigrate",
                       options=sys.argv[2])
conn.execute("select pg_advisory_lock({ledger.LOCK_KEY})")
print(conn.info.backend_pid, flush=True)
conn.execute("select pg_sleep(60)")
""", url, options], stdout=subprocess.PIPE, text=True)
    pid = int(holder.stdout.readline())
    with psycopg.connect(url, autocommit=True) as conn:  # fresh activity data each poll
        wait_until(lambda: conn.execute(
            "select 1 from pg_stat_activity where pid = %s and state = 'active' "
            "and query like 'select pg_sleep%%'", (pid,)).fetchone(),
            what="the client's query to run")
    holder.kill()
    holder.wait()
    return pid, time.monotonic()


def _backend_alive(url: str, pid: int) -> bool:
    with psycopg.connect(url) as conn:
        return conn.execute("select 1 from pg_stat_activity where pid = %s", (pid,)).fetchone()


def test_orphaned_backend_holding_the_lock_is_named(project, cli):
    """A killed client whose busy backend never checks the socket keeps the run lock: the re-run
    exits 6 naming its pid and how to end it; ended that way, the next run passes."""
    write_revision(project, ADD_COLUMN.format(column="orphan"), name="orphan")
    _apply_staging(project, cli)
    pid, _ = _orphan(project.urls["prod"], "-c client_connection_check_interval=0")
    refused = cli(project, "promote", "prod")
    assert refused.code == 6, refused
    assert one_error(refused)
    assert f"holds the lock of prod: pid {pid} (nivomigrate" in refused.stderr
    assert "pg_terminate_backend" in refused.stderr
    assert ledger_rows(project.urls["prod"]) == []  # refused before the ledger was touched
    with psycopg.connect(project.urls["prod"], autocommit=True) as conn:
        conn.execute("select pg_terminate_backend(%s, 5000)", (pid,))
    outcome = cli(project, "promote", "prod")
    assert outcome.code == 0, outcome
    assert fingerprint(project.urls["prod"]) == fingerprint(project.urls["staging"])


def test_orphaned_nivomigrate_session_ends_within_seconds_and_rerun_passes(project, cli):
    """nivomigrate's sessions set client_connection_check_interval = 2 s (db.py): the server
    ends a killed run's busy backend within seconds, and its lock with it."""
    write_revision(project, ADD_COLUMN.format(column="orphanEnds"), name="orphan_ends")
    _apply_staging(project, cli)
    # The session options nivomigrate itself sends (client_connection_check_interval among them).
    pid, killed = _orphan(project.urls["prod"], _options(SessionSettings(), writes=True))
    first = cli(project, "promote", "prod")
    # The re-run either came after the server ended the orphan, or names it.
    assert first.code in (0, 6), first
    if first.code == 6:
        assert f"pid {pid}" in first.stderr
        wait_until(lambda: not _backend_alive(project.urls["prod"], pid), timeout=10,
                   what="the server to end the orphaned backend")
        assert time.monotonic() - killed < 10  # the check interval is 2 s
        first = cli(project, "promote", "prod")
    assert first.code == 0, first
    assert fingerprint(project.urls["prod"]) == fingerprint(project.urls["staging"])


def test_backend_terminated_mid_revision_exits_4_and_rerun_passes(project, cli, probe):
    """The run's one session (holding its lock) is terminated: the run ends, truthfully
    recorded by the next run, which resumes."""
    write_revision(project, ADD_COLUMN.format(column="terminated") + PAUSE_IN_SQL,
                   name="terminated", imports=PAUSE_IMPORTS)
    _apply_staging(project, cli)
    start = current_revision(project.urls["prod"])
    prod = probe(project.urls["prod"])
    process = cli.start(project, "promote", "prod", environ=paused(project))
    pid = wait_until(lambda: prod.active_query("pg_sleep(3)"), what="the revision to run")
    prod.conn.execute("select pg_terminate_backend(%s)", (pid,))
    outcome = cli.finish(process)
    assert outcome.code == 4, outcome
    assert one_error(outcome)
    assert "lost the connection to prod during the run" in outcome.stderr
    assert "terminating connection due to administrator command" in outcome.stderr
    assert current_revision(project.urls["prod"]) == start
    running = ledger_rows(project.urls["prod"])[-1]
    assert running[1:3] == ("promote", "running")  # its session is gone: the next run marks it
    rerun = cli(project, "promote", "prod")
    assert rerun.code == 0, rerun
    rows = {row[0]: row for row in ledger_rows(project.urls["prod"])}
    assert rows[running[0]][2] == "failed" and rows[running[0]][5].startswith("interrupted")
    assert fingerprint(project.urls["prod"]) == fingerprint(project.urls["staging"])


def test_blocker_outlasting_every_retry_exits_5_naming_its_pid(project, cli):
    toml = project.root / "nivomigrate.toml"
    toml.write_text(re.sub(r"lock_timeout_ms = \d+", "lock_timeout_ms = 200",
                           re.sub(r"lock_retries = \d+", "lock_retries = 2", toml.read_text())))
    write_revision(project, ADD_COLUMN.format(column="blocked"), name="blocked")
    _apply_staging(project, cli)
    start = current_revision(project.urls["prod"])
    with psycopg.connect(project.urls["prod"], application_name="the-blocker") as blocker:
        blocker.execute('SELECT count(*) FROM "Device"')  # holds ACCESS SHARE until rollback
        started = time.monotonic()
        outcome = cli(project, "promote", "prod")
        elapsed = time.monotonic() - started
        pid = blocker.info.backend_pid
        blocker.rollback()
    assert outcome.code == 5, outcome
    assert one_error(outcome)
    assert "gave up after 2 lock timeouts (200 ms each)" in outcome.stderr
    assert f"blocked by pid {pid}" in outcome.stderr and "the-blocker" in outcome.stderr
    assert elapsed < 15
    assert current_revision(project.urls["prod"]) == start
    assert ledger_rows(project.urls["prod"])[-1][1:3] == ("promote", "failed")
    assert cli(project, "promote", "prod").code == 0


def test_server_stopping_mid_run_exits_4_and_rerun_after_restart_passes(
        tmp_path, cli, probe, own_server, own_head_template, canary_admin_url):
    from nivomigrate import shadow

    urls = {env: shadow.create_database(own_server.url(), shadow.scratch_name(f"nivo_own_{env}"),
                                        own_head_template) for env in ("staging", "prod")}
    project = copy_project(tmp_path, urls, canary_admin_url)
    write_revision(project, ADD_COLUMN.format(column="serverGone") + PAUSE_IN_SQL,
                   name="server_gone", imports=PAUSE_IMPORTS)
    _apply_staging(project, cli)
    start = current_revision(urls["prod"])
    prod = probe(urls["prod"])
    process = cli.start(project, "promote", "prod", environ=paused(project))
    wait_until(lambda: prod.active_query("pg_sleep(3)"), what="the revision to run")
    pg_ctl(own_server, "stop", "-m", "fast")
    try:
        outcome = cli.finish(process)
        refused = cli(project, "status")
    finally:
        pg_ctl(own_server, "start")
    assert outcome.code == 4, outcome
    assert one_error(outcome) and "lost the connection to prod" in outcome.stderr
    assert refused.code == 4, refused
    assert one_error(refused) and "could not connect to" in refused.stderr
    assert current_revision(urls["prod"]) == start
    rerun = cli(project, "promote", "prod")
    assert rerun.code == 0, rerun
    assert ledger_rows(urls["prod"])[-2][2] == "failed"
    assert fingerprint(urls["prod"]) == fingerprint(urls["staging"])


def pg_ctl(server, *args: str) -> None:
    """Run pg_ctl on the private server as its owner (start keeps its port and options)."""
    from tests import servers

    binaries = servers.postgres_binaries()
    options = (f"-p {server.port} -k {server.data_dir.parent} -c listen_addresses={server.host} "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
               "-c max_connections=50")
    command = [binaries / "pg_ctl", "-D", server.data_dir, "-w", "-t", "30", *args]
    if args[0] == "start":
        command += ["-o", options, "-l", server.data_dir.parent / "server.log"]
    servers.run_as_server_user(command)
