"""A user's mistake is never exit 70: broken revision files, policy values of the wrong type and
impossible timeouts are one `error:` line with their documented code, given before anything
changes; `--debug` adds the traceback and keeps the code."""

from __future__ import annotations

import os
import re

import pytest

from nivomigrate.db import with_database
from tests.reliability.helpers import one_error, state, write_revision

ADD_COLUMN = 'op.execute(\'ALTER TABLE "Device" ADD COLUMN "{column}" TEXT\')'


def _refused(cli, project, *args: str, code: int):
    """Run a command that must be refused with `code`, one error line, and change nothing."""
    before = state(project)
    outcome = cli(project, *args)
    assert outcome.code == code, outcome
    assert one_error(outcome), outcome
    assert state(project) == before
    return outcome


# --- policy values of the wrong type ------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "named"), [
    ("large_table:\n  rows: 1000000\n  bytes: 1073741824", "large_table: 5", "large_table"),
    ("sql: select count(*) from pg_index where not indisvalid", "sql: 1", "sql"),
    ("max_rewrite_bytes: 104857600", "max_rewrite_bytes: lots", "max_rewrite_bytes"),
    ("  Log: 500", "  Log: [500]", "max_lock_hold_ms.tables.Log"),
], ids=["large_table", "sql", "max_rewrite_bytes", "table-hold"])
@pytest.mark.parametrize("command", [("apply", "staging"), ("promote", "prod"), ("plan",),
                                     ("lint",)], ids=" ".join)
def test_policy_value_of_the_wrong_type_exits_2_before_any_change(shared_project, cli, old,
                                                                   new, named, command):
    write_revision(shared_project, ADD_COLUMN.format(column="pendingOne"), name="pending")
    path = shared_project.root / "policies" / "promotion.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    outcome = _refused(cli, shared_project, *command, code=2)
    assert "promotion.yaml" in outcome.stderr and named in outcome.stderr, outcome


def test_services_policy_of_the_wrong_shape_exits_2(shared_project, cli):
    write_revision(shared_project, ADD_COLUMN.format(column="pendingOne"), name="pending")
    path = shared_project.root / "policies" / "services.yaml"
    path.write_text(re.sub(r"Crash: \{reads: \[\"\*\"\], writes: \[id[^}]*\}",
                           'Crash: {reads: "*", writes: []}', path.read_text(), count=1))
    outcome = _refused(cli, shared_project, "apply", "staging", code=2)
    assert "Crash.reads must be a list" in outcome.stderr


# --- revision files a user broke -------------------------------------------------------------

GOOD = ADD_COLUMN.format(column="broken")
BROKEN_REVISIONS = {
    "syntax-error": dict(body="op.execute('ALTER TABLE \"Device\" ADD COLUMN x TEXT'"),
    "import-error": dict(body=GOOD, imports="import no_such_module_here"),
    "no-upgrade": dict(body=GOOD, rename_upgrade=True),
    "self-loop": dict(body=GOOD, down="0003"),
    "cycle": dict(body=GOOD, cycle=True),
}


def _write_broken(project, case: dict) -> None:
    if case.get("cycle"):
        write_revision(project, GOOD, name="first", revision_id="0003")
        write_revision(project, ADD_COLUMN.format(column="second"), name="second",
                       revision_id="0004", down="0003")
        first = next((project.root / "versions").glob("0003_*.py"))
        first.write_text(first.read_text().replace("down_revision = '0002'",
                                                   "down_revision = '0004'"))
        return
    write_revision(project, case["body"], name="broken", imports=case.get("imports", ""),
                   down=case.get("down"), revision_id="0003")
    if case.get("rename_upgrade"):
        path = next((project.root / "versions").glob("0003_*.py"))
        path.write_text(path.read_text().replace("def upgrade()", "def upgrade_later()"))


@pytest.mark.parametrize("name", list(BROKEN_REVISIONS))
@pytest.mark.parametrize("command", [("apply", "staging"), ("plan",), ("lint",),
                                     ("promote", "prod", "--dry-run"), ("status",)],
                         ids=" ".join)
def test_broken_revision_file_exits_2_naming_it(shared_project, cli, name, command):
    _write_broken(shared_project, BROKEN_REVISIONS[name])
    outcome = _refused(cli, shared_project, *command, code=2)
    assert re.search(r"000[34]_\w+\.py|revisions? \(?000[34]", outcome.stderr), outcome


def test_debug_adds_the_traceback_and_keeps_the_exit_code(shared_project, cli):
    _write_broken(shared_project, BROKEN_REVISIONS["syntax-error"])
    outcome = cli(shared_project, "--debug", "apply", "staging")
    assert outcome.code == 2, outcome
    assert "Traceback" in outcome.stderr and "error: " in outcome.stderr


# --- timeouts, roles, connections ------------------------------------------------------------

@pytest.mark.parametrize(("key", "value", "said"), [
    ("lock_timeout_ms", "-1", "lock_timeout_ms must be at least 0"),
    ("statement_timeout_ms", "1", "statement_timeout_ms must be 0 (no limit) or at least 1000"),
    ("connect_timeout_s", "0", "connect_timeout_s must be at least 1"),
])
def test_impossible_timeout_exits_2(shared_project, cli, key, value, said):
    write_revision(shared_project, ADD_COLUMN.format(column="pendingOne"), name="pending")
    toml = shared_project.root / "nivomigrate.toml"
    toml.write_text(re.sub(rf"{key} = \d+", f"{key} = {value}", toml.read_text()))
    for command in (("apply", "staging"), ("promote", "prod"), ("plan",)):
        outcome = _refused(cli, shared_project, *command, code=2)
        assert said in outcome.stderr


NO_CREATE_ROLE = f"nivo_rel_no_create_{os.getpid()}"  # one per test process


@pytest.fixture
def no_create_role(pg_admin_url: str):
    """A login role without the CREATE privilege on any database."""
    import psycopg

    from tests.conftest import CANARY_PASSWORD

    secret = CANARY_PASSWORD.replace("'", "''")
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"drop role if exists {NO_CREATE_ROLE}")
        conn.execute(f"create role {NO_CREATE_ROLE} login password '{secret}'")
    yield NO_CREATE_ROLE
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for (database,) in conn.execute("select datname from pg_database where has_database_"
                                        "privilege(%s, oid, 'CONNECT') and datallowconn",
                                        (NO_CREATE_ROLE,)).fetchall():
            try:
                with psycopg.connect(with_database(pg_admin_url, database),
                                     autocommit=True) as db:
                    db.execute(f"drop owned by {NO_CREATE_ROLE}")
            except psycopg.OperationalError:  # dropped meanwhile (another test, another worker)
                continue
        conn.execute(f"drop role if exists {NO_CREATE_ROLE}")


def test_role_without_privileges_exits_2_before_any_change(project, cli, no_create_role):
    import psycopg

    from tests.conftest import CANARY_ROLE

    write_revision(project, ADD_COLUMN.format(column="pendingOne"), name="pending")
    url = project.urls["staging"].replace(f"{CANARY_ROLE}:", f"{no_create_role}:", 1)
    environ = {**project.environ, "STAGING_POSTGRES_URL_NON_POOLING": url}
    before = state(project)
    outcome = cli(project, "apply", "staging", environ=environ)
    assert outcome.code == 2 and one_error(outcome), outcome
    assert "permission denied for table alembic_version" in outcome.stderr
    assert state(project) == before
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute(f"grant select on public.alembic_version to {no_create_role}")
    before = state(project)
    outcome = cli(project, "apply", "staging", environ=environ)
    assert outcome.code == 2 and one_error(outcome), outcome
    assert f"the role {no_create_role} may not create schemas" in outcome.stderr
    assert "GRANT CREATE ON DATABASE" in outcome.stderr
    assert state(project) == before


def test_staging_connection_lost_during_promote_exits_4_and_a_rerun_finishes(project, cli,
                                                                            probe):
    from tests.reliability.helpers import (
        PAUSE_IMPORTS,
        PAUSE_IN_PYTHON,
        current_revision,
        ledger_rows,
        paused,
        wait_until,
    )

    revision = write_revision(project, PAUSE_IN_PYTHON + ADD_COLUMN.format(column="lost"),
                              name="lost", imports=PAUSE_IMPORTS)
    assert cli(project, "apply", "staging").code == 0
    run = cli.start(project, "promote", "prod", environ=paused(project, 4))
    prod, staging = probe(project.urls["prod"]), probe(project.urls["staging"])
    wait_until(prod.running_run, what="the promotion's run")
    pids = wait_until(staging.nivomigrate_pids, what="the promotion's staging session")
    for pid in pids:
        staging.conn.execute("select pg_terminate_backend(%s)", (pid,))
    outcome = cli.finish(run)
    assert outcome.code == 4 and one_error(outcome), outcome
    assert "lost the connection to staging" in outcome.stderr
    assert ledger_rows(project.urls["prod"])[-1][2] == "failed"
    again = cli(project, "promote", "prod")
    assert again.code == 0, again
    assert current_revision(project.urls["prod"]) == revision


# --- revision code that exits, raises or loops --------------------------------------------------

# A revision's Python may run 3 s without a statement (the default is 60).
LIMIT = "[timeouts]\nrevision_python_s = 3\n"
CODE_MISTAKES = {
    "sys-exit-0-in-upgrade": dict(body="import sys\nsys.exit(0)", said="called sys.exit(0)"),
    "system-exit-3-at-import": dict(body=GOOD, module="raise SystemExit(3)",
                                    said="called sys.exit(3)"),
    "exception-in-upgrade": dict(body="raise ValueError('no such setting')",
                                 said="ValueError: no such setting"),
    "endless-loop-in-upgrade": dict(body="while True:\n    pass",
                                    said="ran Python for more than 3 s"),
    "endless-loop-at-import": dict(body=GOOD, module="while True:\n    pass",
                                   said="ran Python for more than 3 s"),
}


@pytest.mark.parametrize("name", list(CODE_MISTAKES))
@pytest.mark.parametrize("command", [("apply", "staging"), ("plan",), ("check",)],
                         ids=" ".join)
def test_revision_code_that_exits_raises_or_loops_exits_2_naming_it(shared_project, cli, name,
                                                                    command):
    case = CODE_MISTAKES[name]
    toml = shared_project.root / "nivomigrate.toml"
    toml.write_text(toml.read_text().replace("[timeouts]\n", LIMIT))
    write_revision(shared_project, case["body"], name="mistake", revision_id="0003")
    path = next((shared_project.root / "versions").glob("0003_*.py"))
    if "module" in case:
        path.write_text(path.read_text().replace("\nrevision = ", case["module"]
                                                 + "\nrevision = ", 1))
    if command == ("check",) and "module" in case:  # check reports a broken chain
        outcome = cli(shared_project, *command)
        assert outcome.code == 2 and case["said"] in outcome.stdout, outcome
        return
    # check builds the schema (exit 5, as for an SQL error); the others render the SQL first.
    # A loaded machine makes check's builds slow: the runs get 5 minutes, not 2.
    before = state(shared_project)
    outcome = cli(shared_project, *command, timeout=300)
    assert outcome.code == (5 if command == ("check",) else 2), outcome
    assert one_error(outcome) and state(shared_project) == before, outcome
    assert case["said"] in outcome.stderr, outcome
    assert "0003" in outcome.stderr, outcome


def test_a_live_revision_looping_online_fails_the_run_with_5(project, cli):
    toml = project.root / "nivomigrate.toml"
    toml.write_text(toml.read_text().replace("[timeouts]\n", LIMIT))
    write_revision(project, "op.execute('SELECT 1')\nif not op.get_context().as_sql:\n"
                   "    while True:\n        pass", name="loops_online")
    outcome = cli(project, "apply", "staging")
    assert outcome.code == 5 and one_error(outcome), outcome
    assert "ran Python for more than 3 s" in outcome.stderr


def test_services_owners_that_are_not_a_mapping_exit_2(shared_project, cli):
    path = shared_project.root / "policies" / "services.yaml"
    path.write_text(re.sub(r"^owners:\n(  .*\n)*", "owners: 5\n", path.read_text(), count=1,
                           flags=re.MULTILINE))
    assert "owners: 5\n" in path.read_text()
    outcome = _refused(cli, shared_project, "apply", "staging", code=2)
    assert "owners must be a mapping, not 5" in outcome.stderr
