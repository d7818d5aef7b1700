"""live-readers: promote holds a contract while an old build still reads what it removes.

On a throw-away cluster of this module with pg_stat_statements preloaded (the shared test
server does not preload it): staging and prod at the repository's head, three service group
roles and a login per old build. An expand adds Log.level2; a contract drops Log.level and is
held while `ingest@build-1` still runs statements on it, its old statement breaking in the
replay on staging; it is promoted once the build disconnected and the quiet period passed.
A second contract, dropping Log.level2 while a build reads it, passes only with a waiver, which
the ledger keeps with who gave it and why.
"""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
import yaml

from nivomigrate import ledger, migrations
from nivomigrate.checks.phase import Removed
from nivomigrate.config import load_settings
from nivomigrate.db import with_database
from nivomigrate.engine.build import ensure_template
from nivomigrate.engine.live_readers import map_statements, names_removed
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Severity
from nivomigrate.policies.services import ServiceMap, TableUse
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.promote import ContractOptions, contract_options, promote_environment
from tests import forked_cli, servers
from tests.steps.conftest import copy_project

pytestmark = pytest.mark.skipif(servers.postgres_binaries() is None,
                                reason="needs the PostgreSQL server binaries (initdb, pg_ctl)")

SERVICES = ("ingest", "control", "studio")
LOG_COLUMNS = ["id", "projectId", "deviceId", "sessionId", "message", "tag", "data", "fileName",
               "lineNumber", "functionName", "className", "screenName", "threadName",
               "timestamp", "createdAt"]
REVISION = '''"""{message}"""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None
phase = "{phase}"


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''
EXPAND = dict(
    id="0003", down="0002", phase="expand", message="Add Log.level2.",
    upgrade="""    op.execute('ALTER TABLE "Log" ADD COLUMN "level2" TEXT')
    op.execute('GRANT SELECT ON "Log" TO ingest_build1, control_build1')""",
    downgrade="""    op.execute('REVOKE SELECT ON "Log" FROM ingest_build1, control_build1')
    op.execute('ALTER TABLE "Log" DROP COLUMN "level2"')""")
CONTRACT = dict(
    id="0004", down="0003", phase="contract", message="Drop Log.level.",
    upgrade="""    # nivomigrate: ack destructive-change "Log.level" -- the services read level2 now
    op.execute('ALTER TABLE "Log" DROP COLUMN "level"')""",
    downgrade=r'''    op.execute("ALTER TABLE \"Log\" ADD COLUMN \"level\" TEXT NOT NULL "
               "DEFAULT 'info'")
    op.execute('CREATE INDEX "Log_level_idx" ON "Log" ("level")')''')
CONTRACT_AGAIN = dict(
    id="0005", down="0004", phase="contract", message="Drop Log.level2.",
    upgrade="""    # nivomigrate: ack destructive-change "Log.level2" -- never filled
    op.execute('ALTER TABLE "Log" DROP COLUMN "level2"')""",
    downgrade="""    op.execute('ALTER TABLE "Log" ADD COLUMN "level2" TEXT')""")
OLD_READ = 'SELECT "id", "level" FROM "Log" WHERE "level" = %s'


@pytest.fixture(scope="module")
def cluster():
    """A private server preloading pg_stat_statements, with the service roles."""
    with servers.workspace("nivo-live-readers-") as folder, servers.private_server(
            folder / "pg", options="-c shared_preload_libraries=pg_stat_statements "
            "-c pg_stat_statements.track=top") as server:
        with psycopg.connect(server.url(), autocommit=True) as conn:
            for service in SERVICES:
                conn.execute(f"CREATE ROLE nivo_{service} NOLOGIN")
                conn.execute(f"CREATE ROLE {service}_build1 LOGIN IN ROLE nivo_{service}")
        yield server


def _project(root: Path) -> None:
    """No service of the map uses Log.level or Log.level2 any more (the new builds), and no
    hot query reads Log: the contract may drop them as far as the map is concerned."""
    path = root / "policies" / "services.yaml"
    services = yaml.safe_load(path.read_text())
    for body in services["services"].values():
        use = body.get("tables", {}).get("Log")
        if use:
            use["reads"] = list(LOG_COLUMNS)
            use["writes"] = list(LOG_COLUMNS) if use.get("writes") else []
    path.write_text(yaml.safe_dump(services, sort_keys=False))
    path = root / "policies" / "hot_queries.yaml"
    queries = yaml.safe_load(path.read_text())
    queries["queries"] = [q for q in queries["queries"] if '"Log"' not in q["sql"]]
    path.write_text(yaml.safe_dump(queries, sort_keys=False))
    path = root / "policies" / "promotion.yaml"
    path.write_text(path.read_text().replace("quiet_minutes: 30", "quiet_minutes: 0.05"))


def _databases(admin_url: str, versions: Path) -> dict[str, str]:
    template = ensure_template(admin_url, versions, migrations.head(versions))
    urls = {}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for env in ("staging", "prod"):
            conn.execute(f'CREATE DATABASE "live_{env}" TEMPLATE "{template}"')
            urls[env] = with_database(admin_url, f"live_{env}")
    for url in urls.values():
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS extensions")
            conn.execute("CREATE EXTENSION pg_stat_statements SCHEMA extensions")
    return urls


def _write(root: Path, revision: dict) -> None:
    name = revision["message"].lower().replace(" ", "_").strip(".")
    (root / "versions" / f"{revision['id']}_{name}.py").write_text(REVISION.format(**revision))


def _old_build(url: str, service: str = "ingest", build: str = "build-1") -> psycopg.Connection:
    user_url = url.replace("postgresql://postgres@", f"postgresql://{service}_build1@", 1)
    return psycopg.connect(user_url, autocommit=True, application_name=f"{service}@{build}")


def _blockers(report) -> list:
    return [f for f in report.findings if f.check == "live-readers" and f.is_blocking]


def _current(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        return migrations.current_revision(conn)


def _gone(prod_url: str, build: str) -> None:
    with psycopg.connect(prod_url) as conn:
        for _ in range(50):
            if not conn.execute("select 1 from pg_stat_activity where application_name = %s",
                                (build,)).fetchone():
                return
            time.sleep(0.1)


def test_contract_held_while_an_old_build_reads_then_released_and_waived(cluster, tmp_path):
    admin_url = cluster.url()
    root = copy_project(tmp_path)
    _project(root)
    urls = _databases(admin_url, root / "versions")
    settings = load_settings(project_root=root, environ={
        "STAGING_POSTGRES_URL_NON_POOLING": urls["staging"],
        "PROD_POSTGRES_URL_NON_POOLING": urls["prod"],
        "NIVOMIGRATE_SHADOW_URL": admin_url, "USER": "tester"})

    _write(root, EXPAND)
    assert apply_environment(settings, "staging", allow_dirty=True).exit_code == 0
    assert promote_environment(settings, "prod", allow_dirty=True).exit_code == 0

    # build-1 of ingest, deployed before the expand, reads Log.level on staging and prod
    with _old_build(urls["staging"]) as old_on_staging:
        old_on_staging.execute(OLD_READ, ("error",))
    old = _old_build(urls["prod"])
    old.execute(OLD_READ, ("error",))
    with _old_build(urls["prod"], "control") as control:  # another service, Log.tag only
        control.execute('SELECT "tag" FROM "Log"')

    _write(root, CONTRACT)
    applied = apply_environment(settings, "staging", allow_dirty=True)
    assert applied.exit_code == 0, [f.message for f in applied.findings if f.is_blocking]

    plan = make_plan(settings, "prod")
    pending = next(s for s in plan.sections if s.title.startswith("prod: 0003 → 0004"))
    assert pending.columns[1] == "phase" and pending.rows[0][:2] == ("0004", "contract")
    assert plan.data["environments"]["prod"]["pending"][0]["phase"] == "contract"
    assert any(s.title.startswith("prod: live readers of contract 0004") for s in plan.sections)
    assert plan.exit_code == 1

    held = promote_environment(settings, "prod", allow_dirty=True)
    assert held.exit_code == 1 and _current(urls["prod"]) == "0003"
    blockers = _blockers(held)
    assert {f.check for f in held.findings if f.is_blocking} == {"live-readers"}
    session = next(f for f in blockers if "ingest@build-1 still reads Log.level" in f.message)
    evidence = dict(session.evidence)
    assert evidence["service"] == "ingest" and evidence["build"] == "build-1"
    assert '"level"' in evidence["statement"] and evidence["last seen"] != "unknown"
    statement = next(f for f in blockers if "ran a statement naming Log.level" in f.message)
    assert dict(statement.evidence)["service"] == "ingest"  # by its role, nivo_ingest
    assert "build-1" in dict(statement.evidence)["build"]
    replay = next(f for f in blockers if f.location.object.endswith(":replay"))
    assert 'column "level" does not exist' in replay.message
    assert dict(replay.evidence)["service"] == "ingest"
    assert dict(replay.evidence)["statement"].startswith('SELECT "id", "level" FROM "Log"')
    assert not any("control" in f.message for f in blockers)
    assert any(s.title.startswith("prod: live readers of contract 0004") for s in held.sections)

    old.close()
    _gone(urls["prod"], "ingest@build-1")
    released = promote_environment(settings, "prod", allow_dirty=True,
                                   contract=ContractOptions(until_clear=True, timeout_s=120))
    assert released.exit_code == 0, [f.message for f in released.findings if f.is_blocking]
    assert _current(urls["prod"]) == "0004"
    gone = [f for f in released.findings if f.location.object == "0004:ingest:replay"]
    assert gone and gone[0].severity is Severity.WARNING  # no build of ingest is live now

    # a contract while an old build reads the column: only an explicit waiver passes it
    _write(root, CONTRACT_AGAIN)
    assert apply_environment(settings, "staging", allow_dirty=True).exit_code == 0
    with _old_build(urls["prod"], build="build-2") as reader:
        reader.execute('SELECT "level2" FROM "Log"')
        refused = promote_environment(settings, "prod", allow_dirty=True)
        assert refused.exit_code == 1 and _current(urls["prod"]) == "0004"
        assert any("ingest@build-2 still reads Log.level2" in f.message
                   for f in _blockers(refused))
        waived = promote_environment(settings, "prod", allow_dirty=True, contract=ContractOptions(
            waiver="build-2 is drained by the load balancer"))
    assert waived.exit_code == 0 and _current(urls["prod"]) == "0005"
    with psycopg.connect(urls["prod"]) as conn:
        run = ledger.run_by_id(conn, waived.data["run_id"])
    entry = next(c for c in run.checks if c.get("check") == "live-readers")
    assert entry["waived"] is True
    assert entry["waiver"] == {"actor": settings.actor,
                               "reason": "build-2 is drained by the load balancer"}
    assert any("ingest@build-2" in b["message"] for b in entry["blockers"])


@pytest.mark.parametrize(("arguments", "wrong"), [
    ((False, None, "sql-lint", "x"), "only live-readers can be waived"),
    ((False, None, "live-readers", None), "--waive and --reason go together"),
    ((False, None, None, "why"), "--waive and --reason go together"),
    ((True, "soon", None, None), "is not a duration"),
    ((False, "30m", None, None), "--timeout is for --until-clear"),
])
def test_wrong_contract_options_are_usage_errors(arguments, wrong):
    with pytest.raises(ConfigError, match=wrong) as raised:
        contract_options(*arguments)
    assert raised.value.exit_code == 2


def test_contract_options_read_durations():
    assert contract_options(True, "90s", None, None).timeout_s == 90
    assert contract_options(True, "2h", None, None).timeout_s == 7200
    assert contract_options(False, None, "live-readers", " ok ").waiver == "ok"


def test_a_waiver_without_a_reason_is_refused_by_the_cli_before_any_work(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    result = forked_cli.run("promote", "prod", "--waive",
                             "live-readers", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --waive and --reason go together")
    assert "Traceback" not in result.stderr


def test_a_statement_names_a_column_by_its_tokens_not_its_text():
    removed = [Removed("drop_column", "Log", "level")]
    assert names_removed('SELECT "id", "level" FROM "Log" WHERE "level" = $1',
                         removed) == ("Log.level",)
    assert names_removed('SELECT "id" FROM "Log" WHERE "message" = \'level\'', removed) == ()
    assert names_removed('SELECT "level" FROM "Crash"', removed) == ()


def test_the_service_map_replays_what_each_service_reads_and_writes():
    services = ServiceMap((
        TableUse("ingest", "Log", ("*",), ("id", "message"), ("insert",)),
        TableUse("studio", "Log", ("id", "tag"), ()),
    ))
    statements = map_statements(services, [Removed("drop_column", "Log", "level")])
    assert statements == [
        ("ingest", 'SELECT "level" FROM "Log"'),  # "*": every column it had, level too
        ("ingest", 'INSERT INTO "Log" ("id", "message") VALUES ($1, $2)'),
        ("studio", 'SELECT "id", "tag" FROM "Log"'),
    ]
