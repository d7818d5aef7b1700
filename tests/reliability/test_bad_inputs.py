"""Bad inputs, each given to the real command line: one `error:` line (and a `hint:`) on stderr,
the documented exit code, no traceback, and no change in either database (revision, schema
fingerprint and ledger compared before and after)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest

from nivomigrate.db import with_database
from tests import servers
from tests.conftest import CANARY_PASSWORD, CANARY_ROLE
from tests.reliability.helpers import (
    current_revision,
    ledger_rows,
    one_error,
    state,
    write_revision,
)

ADD_COLUMN = 'op.execute(\'ALTER TABLE "Device" ADD COLUMN "{column}" TEXT\')'
STAGING = "STAGING_POSTGRES_URL_NON_POOLING"
PROD = "PROD_POSTGRES_URL_NON_POOLING"
READER_ROLE = f"nivo_rel_reader_{os.getpid()}"  # one per test process


def _refused(cli, project, *args: str, code: int, environ: dict | None = None,
             remove: tuple[str, ...] = ()):
    """Run a command that must be refused with `code` and change nothing; return its outcome."""
    before = state(project)
    outcome = cli(project, *args, environ=environ, remove=remove)
    assert outcome.code == code, outcome
    assert one_error(outcome), outcome
    assert state(project) == before
    return outcome


def _pending(project) -> str:
    """Give the project a pending revision, so that a command that went ahead would change
    staging."""
    return write_revision(project, ADD_COLUMN.format(column="pendingOne"), name="pending")


def _with_url(project, variable: str, url: str) -> dict[str, str]:
    return {**project.environ, variable: url}


# --- configuration and URLs -------------------------------------------------------------------

def test_missing_url_variable_exits_2(shared_project, cli):
    _pending(shared_project)
    outcome = _refused(cli, shared_project, "promote", "prod", code=2, remove=(PROD,))
    assert f"{PROD} is not set" in outcome.stderr


def test_malformed_url_exits_2(shared_project, cli):
    _pending(shared_project)
    database = shared_project.urls["staging"].rsplit("/", 1)[1]
    # The password pasted as is, not percent-encoded: '/' ends the host part too early.
    raw = f"postgresql://{CANARY_ROLE}:{CANARY_PASSWORD}@127.0.0.1:5432/{database}"
    outcome = _refused(cli, shared_project, "apply", "staging", code=2,
                       environ=_with_url(shared_project, STAGING, raw))
    assert "malformed" in outcome.stderr and "percent-encoded" in outcome.stderr
    bad_port = f"postgresql://{CANARY_ROLE}@127.0.0.1:54x2/{database}"
    _refused(cli, shared_project, "apply", "staging", code=2,
             environ=_with_url(shared_project, STAGING, bad_port))


def test_wrong_password_exits_4(shared_project, cli, own_server):
    _pending(shared_project)
    wrong = "wrong%@/:password"
    url = own_server.url(password=wrong)
    outcome = _refused(cli, shared_project, "apply", "staging", code=4,
                       environ=_with_url(shared_project, STAGING, url))
    assert "password authentication failed" in outcome.stderr
    assert wrong not in outcome.text and quote(wrong, safe="") not in outcome.text


def test_unknown_host_exits_4(shared_project, cli):
    _pending(shared_project)
    url = shared_project.urls["staging"].replace("127.0.0.1", "db.nivomigrate-test.invalid")
    outcome = _refused(cli, shared_project, "apply", "staging", code=4,
                       environ=_with_url(shared_project, STAGING, url))
    assert "db.nivomigrate-test.invalid" in outcome.stderr


def test_port_where_nothing_listens_exits_4_within_seconds(shared_project, cli):
    _pending(shared_project)
    url = re.sub(r":\d+/", f":{servers.free_port()}/", shared_project.urls["staging"], count=1)
    outcome = _refused(cli, shared_project, "apply", "staging", code=4,
                       environ=_with_url(shared_project, STAGING, url))
    assert "could not connect to staging" in outcome.stderr
    assert outcome.seconds < 10  # refused at once, not after the 10 s connect timeout


@pytest.mark.parametrize("change", [
    pytest.param(lambda url: re.sub(r":\d+/", ":6543/", url), id="pooler-port-6543"),
    pytest.param(lambda url: url + "?pgbouncer=true", id="pgbouncer-true"),
    pytest.param(lambda url: url + "?target_session_attrs=standby", id="replica-standby"),
])
def test_pooled_or_replica_url_for_apply_exits_2(shared_project, cli, change):
    _pending(shared_project)
    outcome = _refused(cli, shared_project, "apply", "staging", code=2,
                       environ=_with_url(shared_project, STAGING,
                                         change(shared_project.urls["staging"])))
    assert "refused" in outcome.stderr and "POSTGRES_URL_NON_POOLING" in outcome.stderr


@pytest.fixture(scope="module")
def reader_role(pg_admin_url: str) -> Iterator[str]:
    """A login role whose sessions are read-only (default_transaction_read_only = on)."""
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s",
                              (READER_ROLE,)).fetchone()
        secret = CANARY_PASSWORD.replace("'", "''")
        conn.execute(f"{'alter' if exists else 'create'} role {READER_ROLE} login "
                     f"password '{secret}'")
        conn.execute(f"alter role {READER_ROLE} set default_transaction_read_only = on")
    yield READER_ROLE
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"drop role if exists {READER_ROLE}")


def test_read_only_role_for_apply_exits_2(shared_project, cli, reader_role):
    _pending(shared_project)
    url = shared_project.urls["staging"].replace(f"{CANARY_ROLE}:", f"{reader_role}:", 1)
    outcome = _refused(cli, shared_project, "apply", "staging", code=2,
                       environ=_with_url(shared_project, STAGING, url))
    assert "the session is read-only" in outcome.stderr


def test_unknown_environment_exits_2(shared_project, cli):
    outcome = _refused(cli, shared_project, "apply", "staigng", code=2)
    assert "unknown environment 'staigng'" in outcome.stderr


@pytest.mark.parametrize("rename", ["Device.a.b:c", "Device:", "Device name:x"])
def test_a_rename_of_neither_form_exits_2_and_writes_nothing(shared_project, cli, rename):
    versions = sorted(path.name for path in (shared_project.root / "versions").iterdir())
    outcome = _refused(cli, shared_project, "revision", "-m", "x", "--rename", rename, code=2)
    assert "is neither Table.old:new nor Old:New" in outcome.stderr
    assert sorted(path.name for path in (shared_project.root / "versions").iterdir()) == \
        versions


def test_promote_without_staging_configured_exits_2(shared_project, cli):
    _pending(shared_project)
    outcome = _refused(cli, shared_project, "promote", "prod", code=2, remove=(STAGING,))
    assert f"{STAGING} is not set" in outcome.stderr
    toml = shared_project.root / "nivomigrate.toml"
    toml.write_text(re.sub(r"\[environments\.staging\]\n[^\[]*", "", toml.read_text()))
    outcome = _refused(cli, shared_project, "promote", "prod", code=2)
    assert "unknown environment 'staging'" in outcome.stderr


# --- files ------------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", ["hot_queries.yaml", "services.yaml", "promotion.yaml"])
def test_invalid_yaml_in_a_policy_names_file_and_line_and_exits_2(shared_project, cli, policy):
    _pending(shared_project)
    path = shared_project.root / "policies" / policy
    lines = path.read_text().splitlines()
    lines.insert(3, "broken: [unclosed, {")
    path.write_text("\n".join(lines) + "\n")
    outcome = _refused(cli, shared_project, "apply", "staging", code=2)
    assert re.search(rf"{re.escape(str(path))}:\d+: ", outcome.stderr), outcome


@pytest.mark.parametrize("file", ["nivomigrate.toml", "policies/hot_queries.yaml",
                                  "policies/services.yaml", "policies/promotion.yaml"])
def test_unknown_key_exits_2(shared_project, cli, file):
    _pending(shared_project)
    path = shared_project.root / file
    extra = 'colour = "blue"\n' if file.endswith(".toml") else "colour: blue\n"
    path.write_text(extra + path.read_text())
    outcome = _refused(cli, shared_project, "apply", "staging", code=2)
    assert "unknown key 'colour'" in outcome.stderr and path.name in outcome.stderr


def test_two_heads_exit_2(shared_project, cli):
    write_revision(shared_project, ADD_COLUMN.format(column="headOne"), name="head_one",
                   down="0002", revision_id="0003")
    write_revision(shared_project, ADD_COLUMN.format(column="headTwo"), name="head_two",
                   down="0002", revision_id="0004")
    outcome = _refused(cli, shared_project, "apply", "staging", code=2)
    assert "2 heads" in outcome.stderr


def test_revision_with_an_sql_error_exits_5_and_leaves_staging_at_its_revision(project, cli):
    write_revision(project, ADD_COLUMN.format(column="fine") + "\n"
                   'op.execute(\'SELECT * FROM "NoSuchTable"\')', name="sql_error")
    before = state(project)
    outcome = cli(project, "apply", "staging")
    assert outcome.code == 5, outcome
    assert one_error(outcome) and 'relation "NoSuchTable" does not exist' in outcome.stderr
    staging_revision, staging_fingerprint, _ = before["staging"]
    assert current_revision(project.urls["staging"]) == staging_revision
    assert state(project)["staging"][1] == staging_fingerprint  # the column was rolled back
    assert state(project)["prod"] == before["prod"]
    run = ledger_rows(project.urls["staging"])[-1]
    assert run[1:3] == ("apply", "failed") and "NoSuchTable" in run[5]


def test_edited_applied_revision_exits_3(project, cli):
    revision = write_revision(project, ADD_COLUMN.format(column="edited"), name="edited")
    assert cli(project, "apply", "staging").code == 0
    path = next((project.root / "versions").glob(f"{revision}_*.py"))
    path.write_text(path.read_text() + "# edited after it was applied\n")
    before = state(project)
    outcome = cli(project, "apply", "staging")
    assert outcome.code == 3, outcome
    assert "was edited after it was applied to staging" in outcome.stdout
    assert "Traceback" not in outcome.stderr
    assert state(project) == before


def test_uncommitted_revision_blocks_plan_and_promote_unless_allowed(project, cli):
    import git

    repo = git.Repo.init(project.root)
    repo.index.add(["nivomigrate.toml", "versions", "policies"])
    repo.index.commit("the project", author=git.Actor("t", "t@example.com"),
                      committer=git.Actor("t", "t@example.com"))
    revision = write_revision(project, ADD_COLUMN.format(column="dirty"), name="dirty")
    assert cli(project, "apply", "staging").code == 0
    plan = cli(project, "plan")
    assert "uncommitted revision files: versions/" in plan.stdout, plan
    assert plan.code == 2, plan  # the same verdict as promote (one verdict)
    before = state(project)
    refused = cli(project, "promote", "prod")
    assert refused.code == 2, refused
    assert "uncommitted revision files" in refused.stdout and "--allow-dirty" in refused.stdout
    assert state(project) == before
    allowed = cli(project, "promote", "prod", "--allow-dirty")
    assert allowed.code == 0, allowed
    assert current_revision(project.urls["prod"]) == revision
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute("select git_dirty from nivomigrate.runs order by id desc"
                            " limit 1").fetchone() == (True,)


def test_database_that_does_not_exist_exits_4(shared_project, cli):
    _pending(shared_project)
    url = with_database(shared_project.urls["staging"], "nivo_rel_no_such_database")
    outcome = _refused(cli, shared_project, "apply", "staging", code=4,
                       environ=_with_url(shared_project, STAGING, url))
    assert "does not exist" in outcome.stderr


# --- bytes that are not UTF-8, and files that are not what they claim --------------------------

NOT_UTF8 = b"# caf\xe9 (latin-1)\n"


@pytest.mark.parametrize("file", ["nivomigrate.toml", "policies/hot_queries.yaml",
                                  "policies/services.yaml", "policies/promotion.yaml",
                                  "versions/0002"])
def test_a_file_that_is_not_utf8_exits_2_naming_it(shared_project, cli, file):
    _pending(shared_project)
    path = shared_project.root / file
    if file.startswith("versions/"):
        path = next(path.parent.glob(f"{path.name}_*.py"))
    path.write_bytes(NOT_UTF8 + path.read_bytes())
    for command in (("apply", "staging"), ("plan",)):
        outcome = _refused(cli, shared_project, *command, code=2)
        assert path.name in outcome.stderr, outcome
        assert "UTF-8" in outcome.stderr or "utf-8" in outcome.stderr, outcome


def test_an_env_file_that_is_not_utf8_exits_2(shared_project, cli):
    _pending(shared_project)
    env_file = shared_project.root / "latin1.env"
    env_file.write_bytes(NOT_UTF8 + b"SOME_SETTING=1\n")
    outcome = _refused(cli, shared_project, "--env-file", str(env_file), "apply", "staging",
                       code=2)
    assert "latin1.env:1: not UTF-8 text" in outcome.stderr


@pytest.mark.parametrize("content", [
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00", id="binary"),
    pytest.param(b'{"schema_version": 1}', id="schema-version-only"),
    pytest.param(b'{"schema_version": 1, "command": "plan", "title": "t", '
                 b'"findings": [{"check": "x"}]}', id="finding-without-severity"),
    pytest.param(b'[1, 2, 3]', id="a-list"),
    pytest.param(b"", id="empty"),
])
def test_render_of_a_file_that_is_not_a_report_exits_2(shared_project, cli, tmp_path, content):
    path = tmp_path / "report.json"
    path.write_bytes(content)
    outcome = cli(shared_project, "render", str(path), "--format", "markdown")
    assert outcome.code == 2 and one_error(outcome), outcome
    assert "report" in outcome.stderr


@pytest.mark.parametrize("option", ["-c statement_timeout=1", "-c statement_timeout=5ms",
                                    "-c idle_in_transaction_session_timeout=1"])
def test_a_url_option_timeout_too_short_for_any_query_exits_2(shared_project, cli, option):
    from nivomigrate.urls import with_query

    _pending(shared_project)
    url = with_query(shared_project.urls["staging"], options=option)
    for command in (("apply", "staging"), ("plan", "staging")):
        outcome = _refused(cli, shared_project, *command, code=2,
                           environ=_with_url(shared_project, STAGING, url))
        assert "shorter than 1000 ms" in outcome.stderr, outcome


def test_a_ledger_sequence_behind_its_rows_does_not_stop_the_next_run(project, cli):
    """A database restored (or crashed) with its ledger's sequence older than its rows."""
    write_revision(project, ADD_COLUMN.format(column="beforeRestore"), name="before_restore")
    assert cli(project, "apply", "staging").code == 0
    write_revision(project, ADD_COLUMN.format(column="afterRestore"), name="after_restore")
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute("select setval(pg_get_serial_sequence('nivomigrate.runs', 'id'), 1, false)")
        before = conn.execute("select max(id) from nivomigrate.runs").fetchone()[0]
    assert before is not None and before >= 1
    outcome = cli(project, "apply", "staging")
    assert outcome.code == 0, outcome
    run = ledger_rows(project.urls["staging"])[-1]
    assert run[0] > before and run[1:3] == ("apply", "passed")
