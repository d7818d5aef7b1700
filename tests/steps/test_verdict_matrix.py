"""One verdict: for each gate check, a state that trips it, run through every command whose
scope includes it (check, lint, plan --gate merge, plan --gate promote, apply staging, promote
prod). Each gives the same block (the check's finding, blocking, and the same exit code), and
apply and promote change nothing: schema fingerprints and ledgers as they were.

The commands are the steps the CLI calls (the CLI adds only rendering and the exit code taken
from `Report.exit_code`); the staging and prod databases are clones of one head template.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import pytest

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
}


@pytest.mark.parametrize("check", sorted(STATES))
def test_every_command_gives_the_same_block_and_changes_nothing(project, check):
    state = STATES[check]
    state.make(project)
    before = {env: _state_of(url) for env, url in project.urls.items()}

    verdicts = {command: _run_command(project, command) for command in state.commands}

    for command, (code, blocking) in verdicts.items():
        named = check in blocking or any(b.startswith("error: ") and state.error_says in b
                                         for b in blocking if state.error_says)
        assert named and code == state.exit_code, (command, code, blocking)
    assert {env: _state_of(url) for env, url in project.urls.items()} == before


def test_the_matrix_names_registered_checks():
    from nivomigrate.checks import CHECKS

    names = {module.NAME for module in CHECKS}
    assert set(STATES) <= names


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
