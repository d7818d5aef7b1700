"""One verdict: for each gate check, a state that trips it, run through every command whose
scope includes it (check, lint, plan --gate merge, plan --gate promote, apply staging, promote
prod). Each gives the same block (the check's finding, blocking, and the same exit code), and
apply and promote change nothing: schema fingerprints and ledgers as they were.

The commands are the steps the CLI calls (the CLI adds only rendering and the exit code taken
from `Report.exit_code`); the staging and prod databases are clones of one head template.

The matrix is data: every check registered in nivomigrate/checks/__init__.py is a row of
STATES (the state that trips it and the commands whose scope includes it) or of
NOT_A_BLOCK_BEFORE_A_RUN (why no command can give it as a block before anything changes, and
where it is proven instead). A newly registered check fails
`test_every_registered_check_is_a_row` until it gets its row.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest
import yaml

from nivomigrate.errors import NivoError
from nivomigrate.snapshot import take_snapshot

ORPHAN_REVISION = '''"""A table no service owns."""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE TABLE "Orphan" ("id" TEXT PRIMARY KEY)')


def downgrade() -> None:
    op.execute('DROP TABLE "Orphan"')
'''
PLANS_BY_CURRENCY = """\
- name: plans_by_currency
  service: studio
  table: Plan
  equality: [currency]
  order: []
  predicate: null
  required: true
  sql: SELECT "id" FROM "public"."Plan" WHERE "public"."Plan"."currency" = $1 LIMIT $2
"""
ORPHAN_MODEL = '''

class Orphan(Base):
    __tablename__ = "Orphan"

    id: Mapped[str] = mapped_column(primary_key=True)
'''


def _run_command(project, command: str):
    """Return (exit code, blocking check names) of one command on the project."""
    from nivomigrate.steps.apply import apply_environment
    from nivomigrate.steps.check import check_models
    from nivomigrate.steps.lint import lint_report
    from nivomigrate.steps.plan import make_plan
    from nivomigrate.steps.promote import promote_environment

    settings = project.settings()
    calls: dict[str, Callable] = {
        "check": lambda: check_models(settings),
        "lint": lambda: lint_report(settings, "all"),
        "plan --gate merge": lambda: make_plan(settings, "all", gate="merge"),
        "plan --gate promote": lambda: make_plan(settings, "all", gate="promote"),
        "apply staging": lambda: apply_environment(settings, "staging"),
        "promote prod": lambda: promote_environment(settings, "prod"),
    }
    try:
        report = calls[command]()
    except NivoError as exc:  # refused before any report: the error names the check's fact
        return exc.exit_code, {f"error: {exc.message}"}
    return report.exit_code, {f.check for f in report.findings if f.is_blocking}


def _state_of(url: str) -> tuple[str, int]:
    with psycopg.connect(url) as conn:
        fingerprint = take_snapshot(conn).fingerprint
        has_ledger = conn.execute("select to_regclass('nivomigrate.runs') is not null"
                                  ).fetchone()[0]
        runs = conn.execute("select count(*) from nivomigrate.runs").fetchone()[0] \
            if has_ledger else 0
    return fingerprint, runs


def _execute(url: str, *statements: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _orphan_table(project) -> None:
    head = project.head()
    revision_id = f"{int(head) + 1:04d}"
    (project.root / "versions" / f"{revision_id}_orphan.py").write_text(
        ORPHAN_REVISION.format(id=revision_id, down=head))
    with (project.root / "nivostack_models" / "studio.py").open("a") as models:
        models.write(ORPHAN_MODEL)


def _edited_after_staging_run(project) -> None:
    path = project.add_revision()
    code, blocking = _run_command(project, "apply staging")
    assert code == 0, blocking
    path.write_text(path.read_text().replace('"""Add a nickname to devices."""',
                                             '"""Add a nickname to devices (edited)."""'))


def _drift(project) -> None:
    for env in ("staging", "prod"):
        _execute(project.urls[env], 'ALTER TABLE "Plan" ADD COLUMN "drifted" integer')


def _unversioned(project) -> None:
    for env in ("staging", "prod"):
        _execute(project.urls[env], "DROP TABLE alembic_version")


def _plain_index(project) -> None:
    project.add_revision('op.execute(\'CREATE INDEX "Plan_currency_idx" ON "Plan" ("currency")\')')


def _uncommitted(project) -> None:
    _git(project.root, "init", "-q")
    _git(project.root, "add", "-A")
    _git(project.root, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "head")
    project.add_revision()


def _model_only_column(project) -> None:
    path = project.root / "nivostack_models" / "studio.py"
    path.write_text(path.read_text().replace(
        "    maxLogs: Mapped[int | None]\n",
        "    maxLogs: Mapped[int | None]\n    nickname: Mapped[str | None]\n", 1))


def _dropped_column(project) -> None:
    project.add_revision('op.execute(\'ALTER TABLE "Device" DROP COLUMN "userEmail"\')')


def _duplicates_for_a_unique_index(project) -> None:
    for env in ("staging", "prod"):
        _execute(project.urls[env], 'INSERT INTO "Plan" ("id", "name", "displayName", '
                 '"updatedAt") VALUES (\'a\', \'a\', \'Same\', now()), '
                 '(\'b\', \'b\', \'Same\', now())')
    project.add_revision('from nivomigrate.ops import create_index_concurrently\n    '
                         'create_index_concurrently("Plan_displayName_key", "Plan", '
                         '["displayName"], unique=True)')


def _grant_to_anon(project) -> None:
    project.add_revision('op.execute(\'GRANT SELECT ON "Plan" TO anon\')')


def _staging_changed_after_its_run(project) -> None:
    project.add_revision()
    code, blocking = _run_command(project, "apply staging")
    assert code == 0, blocking
    _execute(project.urls["staging"], 'ALTER TABLE "Plan" ADD COLUMN "drifted" integer')


def _uncovered_hot_query(project) -> None:
    with (project.root / "policies" / "hot_queries.yaml").open("a") as queries:
        queries.write(PLANS_BY_CURRENCY)
    project.add_revision()


def _two_heads(project) -> None:
    project.add_revision()
    fork = project.root / "versions" / f"{int(project.head()) + 1:04d}_fork.py"
    [first] = (project.root / "versions").glob(f"{project.head()}_*.py")
    fork.write_text(first.read_text().replace(f'revision = "{project.head()}"',
                                              f'revision = "{fork.name[:4]}"')
                    .replace('"nickname"', '"nickname2"'))


def _rewrite_of_a_large_table(project) -> None:
    policy = project.root / "policies" / "promotion.yaml"
    policy.write_text(policy.read_text().replace("  rows: 1000000\n", "  rows: 1\n", 1))
    for env in ("staging", "prod"):
        _execute(project.urls[env], 'INSERT INTO "Plan" ("id", "name", "displayName", '
                 '"updatedAt") SELECT g::text, g::text, \'P\', now() '
                 "FROM generate_series(1, 10) g", 'ANALYZE "Plan"')
    project.add_revision('op.execute(\'ALTER TABLE "Plan" ALTER COLUMN "price" TYPE numeric\')')


def _policy(project, **changes) -> None:
    """Set top-level keys of policies/promotion.yaml."""
    path = project.root / "policies" / "promotion.yaml"
    policy = yaml.safe_load(path.read_text())
    policy.update(changes)
    path.write_text(yaml.safe_dump(policy))


def _dynamic_sql(project) -> None:
    project.add_revision("""op.execute("DO $$ BEGIN EXECUTE 'SELECT 1'; END $$")""")


def _contract_that_only_expands(project) -> None:
    """A revision declaring phase = "contract" whose one operation adds a column."""
    path = project.add_revision()
    path.write_text(path.read_text().replace("depends_on = None\n",
                                             'depends_on = None\nphase = "contract"\n'))


ONE_WAY_REVISION = ORPHAN_REVISION.replace('"""A table no service owns."""',
                                           '"""A device nickname, no way back."""') \
    .replace('CREATE TABLE "Orphan" ("id" TEXT PRIMARY KEY)',
             'ALTER TABLE "Device" ADD COLUMN "nickname" TEXT') \
    .replace("""op.execute('DROP TABLE "Orphan"')""", "pass")


def _no_way_back(project) -> None:
    """A downgrade that is `pass` and no `one_way = "why"` declared."""
    head = project.head()
    revision_id = f"{int(head) + 1:04d}"
    (project.root / "versions" / f"{revision_id}_no_way_back.py").write_text(
        ONE_WAY_REVISION.format(id=revision_id, down=head))


def _staged(project) -> None:
    """A pending revision (Device.nickname) that passed on staging."""
    project.add_revision()
    code, blocking = _run_command(project, "apply staging")
    assert code == 0, blocking


def _window_overrun(project) -> None:
    """Staging measured the revision; Device's window is shorter than any statement."""
    _staged(project)
    _policy(project, duration_window_s={"default": 600, "tables": {"Device": 0.000001}})


def _unsigned_run(project) -> None:
    """Staging's run is unsigned (no ledger key) and the policy requires signed runs."""
    _staged(project)
    _policy(project, require_signed_runs=True)


PLANS = """insert into "Plan" ("id", "name", "displayName", "currency", "updatedAt")
select g::text, 'plan ' || g, 'P', case when g % 2 = 0 then 'USD' else 'EUR' end, now()
from generate_series(1, 20000) g;
analyze "Plan"
"""
PLANS_BY_NAME = PLANS_BY_CURRENCY.replace("plans_by_currency", "plans_by_name") \
    .replace("[currency]", "[name]").replace('"currency" = $1', '"name" = $1')


def _plans(project, query: str) -> None:
    """20,000 plans on staging and prod (two currencies, unique names), and a hot query."""
    for env in ("staging", "prod"):
        _execute(project.urls[env], PLANS)
    with (project.root / "policies" / "hot_queries.yaml").open("a") as queries:
        queries.write(query)


def _unused_new_index(project) -> None:
    """An index on a column of two values: the planner reads half of Plan by a scan."""
    _plans(project, PLANS_BY_CURRENCY)
    project.add_revision('from nivomigrate.ops import create_index_concurrently\n    '
                         'create_index_concurrently("Plan_currency_idx", "Plan", ["currency"])')


def _dropped_index_a_hot_query_uses(project) -> None:
    _plans(project, PLANS_BY_NAME)
    project.add_revision('from nivomigrate.ops import drop_index_concurrently\n    '
                         'drop_index_concurrently("Plan_name_key")')


def _git(root, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True)


@dataclass(frozen=True)
class State:
    make: Callable
    exit_code: int
    commands: tuple[str, ...]
    error_says: str = ""  # a command that refuses with an error instead of a report


ALL_GATES = ("plan --gate merge", "plan --gate promote", "apply staging", "promote prod")
STATES = {
    "unmapped-table": State(_orphan_table, 1, ("check", *ALL_GATES)),
    "checksum": State(_edited_after_staging_run, 3, ALL_GATES),
    "drift": State(_drift, 3, ALL_GATES),
    "unversioned": State(_unversioned, 3, ALL_GATES),
    "sql-lint": State(_plain_index, 1, ("lint", *ALL_GATES)),
    "staging-run": State(lambda project: project.add_revision(), 1,
                         ("plan --gate promote", "promote prod")),
    "dirty-tree": State(_uncommitted, 2, ("plan --gate promote", "promote prod")),
    "models-match-revisions": State(_model_only_column, 1, ("check", "plan --gate merge")),
    "destructive-change": State(_dropped_column, 1, ("lint", *ALL_GATES)),
    "service-still-uses": State(_dropped_column, 1, ("lint", *ALL_GATES)),
    "precondition": State(_duplicates_for_a_unique_index, 1, ("lint", *ALL_GATES)),
    "anon-opened": State(_grant_to_anon, 1, ("lint", *ALL_GATES)),
    "heads": State(_two_heads, 2, ("check", "lint", *ALL_GATES), error_says="heads"),
    "blocking-lock-on-large-table": State(_rewrite_of_a_large_table, 1, ("lint", *ALL_GATES)),
    "hot-query-index": State(_uncovered_hot_query, 1, ALL_GATES),
    "staging-changed": State(_staging_changed_after_its_run, 3,
                             ("plan --gate promote", "promote prod")),
    "dynamic-sql": State(_dynamic_sql, 1, ("lint", *ALL_GATES)),
    # the merge gate proves every revision's way back in the shadow server (docs/rollback.md)
    "one-way": State(_no_way_back, 1, ("plan --gate merge",)),
    "phase": State(_contract_that_only_expands, 1, ("lint", *ALL_GATES)),
    # measured by apply staging, judged where prod is promoted
    "duration-budget": State(_window_overrun, 1, ("plan --gate promote", "promote prod")),
    "signed-run": State(_unsigned_run, 2, ("plan --gate promote", "promote prod")),
    # Judged by each database's planner: staging proves it by a rolled-back rehearsal; prod
    # (no HypoPG here: it would be drift) says "unproven", so `promote prod`, which judges prod
    # only, cannot block on it (and staging-run blocks it first).
    "new-index-used": State(_unused_new_index, 1, ("lint", "plan --gate merge",
                                                   "plan --gate promote", "apply staging")),
    "hot-query-plan-change": State(_dropped_index_a_hot_query_uses, 1, (
        "lint", "plan --gate merge", "plan --gate promote", "apply staging")),
}
AFTER_A_RUN = "an after-run check: it judges what a run did, so it fires only once the run " \
    "changed the database, and then fails that run"
NOT_A_BLOCK_BEFORE_A_RUN = {
    "verify": AFTER_A_RUN + " (tests/checks/test_verify.py; tests/reliability)",
    "integrity": AFTER_A_RUN + ": what an interrupted online change left "
                 "(tests/checks/test_integrity.py)",
    "staging-check": AFTER_A_RUN + ": the project's assertions on staging after its "
                     "revisions (tests/checks/test_staging_check.py)",
    "lock-footprint": AFTER_A_RUN + ": apply's verification judges the locks its run measured "
                      "(tests/checks/test_lock_footprint.py)",
    "baseline": "only `baseline` adopts a database without a ledger; no command of the "
                "matrix adopts (tests/steps/test_baseline.py)",
    "non-resumable-revision": "a WARNING by design, never a block "
                              "(tests/checks/test_non_resumable.py)",
    "redundant-index": "a WARNING or INFO by design, never a block "
                       "(tests/checks/test_redundant_index.py)",
    "hot-query-plan": "a WARNING or INFO by design (hot-query-index is the block on the same "
                      "facts: its row above)",
    "anon-access": "needs Supabase's roles: "
                   "test_tables_open_to_anon_block_every_command_before_anything_changes below",
    "platform-defaults": "needs two Supabase databases: "
                         "test_older_prod_default_privileges_block_the_promotion below",
    "live-readers": "needs pg_stat_statements preloaded and a live service session: "
                    "tests/checks/test_live_readers.py (promote holds a contract, plan shows "
                    "its evidence, the waiver is recorded)",
    "service-access": "needs the service roles adopted: "
                      "test_a_revoked_grant_blocks_every_command_before_anything_changes below",
}


@pytest.mark.parametrize("check", sorted(STATES))
def test_every_command_gives_the_same_block_and_changes_nothing(project, check, request):
    state = STATES[check]
    if check == "anon-opened":  # the grant names Supabase's `anon`: made for the session
        request.getfixturevalue("api_roles")
    state.make(project)
    before = {env: _state_of(url) for env, url in project.urls.items()}

    verdicts = {command: _run_command(project, command) for command in state.commands}

    for command, (code, blocking) in verdicts.items():
        named = check in blocking or any(b.startswith("error: ") and state.error_says in b
                                         for b in blocking if state.error_says)
        assert named and code == state.exit_code, (command, code, blocking)
    assert {env: _state_of(url) for env, url in project.urls.items()} == before


def test_every_registered_check_is_a_row():
    from nivomigrate.checks import CHECKS

    names = {module.NAME for module in CHECKS}
    assert not set(STATES) & set(NOT_A_BLOCK_BEFORE_A_RUN)
    assert set(STATES) | set(NOT_A_BLOCK_BEFORE_A_RUN) == names


def _open_supabase_project(tmp_path, make_supabase_database, canary_admin_url):
    """A Supabase project at head whose app tables are open to anon (the migration role's
    default privileges give every new table to the Data API roles)."""
    from nivomigrate import migrations
    from nivomigrate.db import Target, sqlalchemy_engine
    from tests.steps.conftest import Project, copy_project

    urls = {env: make_supabase_database(f"nivo_sb_{env}", app=False) for env in ("staging", "prod")}
    project = Project(copy_project(tmp_path), urls, canary_admin_url)
    for env, url in urls.items():
        engine = sqlalchemy_engine(Target(env, url), writes=True)
        try:
            with engine.connect() as conn:
                migrations.upgrade(project.root / "versions", conn, project.head())
        finally:
            engine.dispose()
    return project


def test_tables_open_to_anon_block_every_command_before_anything_changes(
        tmp_path, make_supabase_database, canary_admin_url):
    """plan reports the open tables, and apply and promote refuse before running the pending
    revision, instead of apply's verification failing after staging changed."""
    project = _open_supabase_project(tmp_path, make_supabase_database, canary_admin_url)
    project.add_revision()
    before = {env: _state_of(url) for env, url in project.urls.items()}

    verdicts = {command: _run_command(project, command) for command in ALL_GATES}

    # The shared shadow's copy of the platform may add drift (exit 3): the verdict is still one.
    assert len({code for code, _ in verdicts.values()}) == 1, verdicts
    for command, (code, blocking) in verdicts.items():
        assert "anon-access" in blocking and code in (1, 3), (command, code, blocking)
    assert {env: _state_of(url) for env, url in project.urls.items()} == before


def test_a_pending_revision_that_closes_them_is_let_through(tmp_path, make_supabase_database,
                                                           canary_admin_url):
    """The fix the finding names, as a pending revision: the gate no longer blocks on it."""
    project = _open_supabase_project(tmp_path, make_supabase_database, canary_admin_url)
    project.add_revision("op.execute('REVOKE ALL ON ALL TABLES IN SCHEMA public "
                         "FROM anon, authenticated')")

    code, blocking = _run_command(project, "plan --gate promote")

    assert "anon-access" not in blocking, (code, blocking)


def _same_block_and_nothing_changed(project, check: str, commands, exit_codes=(1,)) -> None:
    """Run `commands` after the state is made: each names `check` among its blocks, all give
    one exit code, and no database changed."""
    before = {env: _state_of(url) for env, url in project.urls.items()}

    verdicts = {command: _run_command(project, command) for command in commands}

    assert len({code for code, _ in verdicts.values()}) == 1, verdicts
    for command, (code, blocking) in verdicts.items():
        assert check in blocking and code in exit_codes, (command, code, blocking)
    assert {env: _state_of(url) for env, url in project.urls.items()} == before


# What Supabase projects made since 2026-05-30 have: new tables go to no Data API role.
NEWER_DEFAULTS = ("alter default privileges in schema public "
                  "revoke all on tables from anon, authenticated, service_role")


def test_older_prod_default_privileges_block_the_promotion(tmp_path, make_supabase_database,
                                                          canary_admin_url):
    """platform-defaults: staging gives new tables to no Data API role, prod still does; a
    pending revision would get other grants on prod than on staging. Only the promotion gate
    reads both databases, so only it can judge."""
    project = _open_supabase_project(tmp_path, make_supabase_database, canary_admin_url)
    project.add_revision("op.execute('REVOKE ALL ON ALL TABLES IN SCHEMA public "
                         "FROM anon, authenticated')")  # closes what anon-access names
    _execute(project.urls["staging"], NEWER_DEFAULTS)

    _same_block_and_nothing_changed(project, "platform-defaults",
                                    ("plan --gate promote", "promote prod"), exit_codes=(3,))


def test_a_revoked_grant_blocks_every_command_before_anything_changes(roles_project,
                                                                     service_role_names):
    """service-access: with the service roles adopted on staging and prod, a revision that
    takes a grant from a service is blocked wherever a pending revision is judged."""
    from nivomigrate.progress import Progress
    from nivomigrate.steps.apply import apply_environment
    from nivomigrate.steps.promote import promote_environment
    from nivomigrate.steps.roles import write_roles_revision

    project, quiet = roles_project, Progress(quiet=True)
    assert write_roles_revision(project.settings()).path is not None
    assert apply_environment(project.settings(), "staging", progress=quiet).exit_code == 0
    assert promote_environment(project.settings(), "prod", progress=quiet).exit_code == 0
    project.add_revision(f"op.execute('REVOKE SELECT ON \"Log\" FROM "
                         f"\"{service_role_names['ingest']}\"')", name="revoke")

    _same_block_and_nothing_changed(project, "service-access", ALL_GATES)
