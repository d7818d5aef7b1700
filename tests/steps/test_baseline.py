"""baseline on real databases: a Prisma-made database is adopted at 0001, hand-made changes are
refused (and nothing is changed) until an adoption revision reconciles them, and the adopted
database then upgrades to head like one built from the revisions."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from nivomigrate import ledger, migrations, shadow
from nivomigrate.db import connection
from nivomigrate.engine.adoption import idempotent, split_statements
from nivomigrate.engine.build import schema_at
from nivomigrate.errors import ConfigError
from nivomigrate.progress import Progress
from nivomigrate.snapshot import compare, take_snapshot
from nivomigrate.steps.baseline import adopt
from tests import forked_cli
from tests.conftest import CANARY_PASSWORD
from tests.steps.conftest import Project as BaseProject
from tests.steps.conftest import copy_project

REPO = Path(__file__).resolve().parents[2]
PRISMA_SQL = REPO / "tests" / "fixtures" / "prisma" / "nivostack_prisma.sql"

INDEX_REVISION = '''"""Index devices by platform."""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None


# nivomigrate: ack require-concurrent-index-creation "Device" -- devices are few
def upgrade() -> None:
    op.create_index("Device_platform_idx", "Device", ["platform"])


def downgrade() -> None:
    op.drop_index("Device_platform_idx", table_name="Device")
'''

HAND_MADE_CHANGES = """
ALTER TABLE "Project" ADD COLUMN "region" TEXT;
CREATE INDEX "User_name_idx" ON "User"("name");
ALTER TABLE "Project" DROP CONSTRAINT "Project_userId_fkey";
"""
DIFFERENCES = (
    "column public.Project.region only in {env}",
    "index public.User_name_idx only in {env}",
    "constraint public.Project.Project_userId_fkey only in revision 0001",
)


@pytest.fixture(scope="module")
def prisma_template(canary_admin_url):
    """A database built from the DDL Prisma emits, used as the template of each test's."""
    name = shadow.scratch_name("nivo_prisma_tpl")
    url = shadow.create_database(canary_admin_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(PRISMA_SQL.read_text())
    yield name
    shadow.drop_database(canary_admin_url, name)


class Project(BaseProject):
    """A temporary copy of the project with staging and prod made by Prisma."""

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    def add_index_revision(self) -> str:
        head = migrations.head(self.versions)
        revision_id = f"{int(head) + 1:04d}"
        (self.versions / f"{revision_id}_device_platform_index.py").write_text(
            INDEX_REVISION.format(id=revision_id, down=head))
        return revision_id

    def run(self, env: str, sql: str) -> None:
        with psycopg.connect(self.urls[env], autocommit=True) as conn:
            conn.execute(sql)

    def state(self, env: str) -> tuple[str | None, bool, str]:
        """Return the revision, whether the ledger schema exists, and the fingerprint."""
        with psycopg.connect(self.urls[env], autocommit=True) as conn:
            has_schema = conn.execute(
                "select exists (select from pg_namespace where nspname = 'nivomigrate')"
            ).fetchone()[0]
            return migrations.current_revision(conn), has_schema, take_snapshot(conn).fingerprint

    def runs(self, env: str) -> list[ledger.Run]:
        with psycopg.connect(self.urls[env], autocommit=True) as conn:
            return ledger.runs(conn)


@pytest.fixture
def project(tmp_path, make_database, prisma_template, canary_admin_url) -> Project:
    urls = {env: make_database(f"nivo_{env}", template=prisma_template)
            for env in ("staging", "prod")}
    return Project(copy_project(tmp_path), urls, canary_admin_url)


def _messages(report) -> list[str]:
    return [f.message for f in report.findings]


def test_prisma_database_is_adopted_at_0001(project):
    report = adopt(project.settings(), "prod")

    assert report.exit_code == 0, _messages(report)
    assert report.data["revision"] == "0001"
    revision, has_ledger, _ = project.state("prod")
    assert (revision, has_ledger) == ("0001", True)
    run = project.runs("prod")[0]
    assert (run.kind, run.status, run.from_revision, run.to_revision) == (
        "baseline", "passed", None, "0001")
    assert [entry["id"] for entry in run.revisions] == ["0001"]
    assert run.revisions[0]["sql_checksum"] and run.revisions[0]["file_checksum"]
    assert run.checks == [] and run.actor == "tester"
    assert run.fingerprint_after == project.state("prod")[2]


def test_prisma_database_is_adopted_at_0001_after_a_later_revision(project):
    later = project.add_index_revision()

    report = adopt(project.settings(), "prod")

    assert report.exit_code == 0, _messages(report)
    assert report.data["revision"] == "0001"
    tried = [t["revision"] for t in report.data["tried"]]
    assert tried == [r.id for r in reversed(migrations.revisions(project.versions))]
    assert tried[0] == later and report.data["tried"][0]["differences"] >= 1
    assert project.state("prod")[0] == "0001"


def test_explicit_revision_is_the_only_one_tried(project):
    later = project.add_index_revision()
    settings = project.settings()

    refused = adopt(settings, "staging", revision=later)
    assert refused.exit_code == 3
    assert [t["revision"] for t in refused.data["tried"]] == [later]
    assert (f"staging differs from revision {later}: "
            f"index public.Device_platform_idx only in revision {later}") in _messages(refused)
    assert project.state("staging")[:2] == (None, False)

    adopted = adopt(settings, "staging", revision="0001")
    assert adopted.exit_code == 0
    assert [t["revision"] for t in adopted.data["tried"]] == ["0001"]
    assert project.state("staging")[0] == "0001"

    with pytest.raises(ConfigError, match="unknown revision '0999'"):
        adopt(settings, "prod", revision="0999")


def test_versioned_database_is_refused_with_exit_code_2(project):
    assert adopt(project.settings(), "prod").exit_code == 0

    with pytest.raises(ConfigError, match="prod is already at revision 0001") as refusal:
        adopt(project.settings(), "prod")
    assert refusal.value.exit_code == 2
    assert len(project.runs("prod")) == 1


def test_hand_made_changes_are_adopted_through_an_adoption_revision(project):
    from nivomigrate.steps.apply import apply_environment

    later = project.add_index_revision()
    project.run("staging", HAND_MADE_CHANGES)
    before = project.state("staging")

    # Refused: each difference named, nothing changed.
    refused = adopt(project.settings(), "staging")
    assert refused.exit_code == 3
    assert refused.data["closest"] == "0001"
    assert sorted(_messages(refused)) == sorted(
        "staging differs from revision 0001: " + line.format(env="staging")
        for line in DIFFERENCES)
    assert project.state("staging") == before == (None, False, before[2])

    # The revision would drop the constraint staging lacks: refused without --allow-drop.
    refused = adopt(project.settings(), "staging", write_revision=True)
    assert refused.exit_code == 1 and refused.data["written"] is None
    assert any("--allow-drop" in (f.help or "") for f in refused.findings if f.is_blocking)
    assert migrations.head(project.versions) == later

    # --write-revision writes the adoption revision, still changing nothing.
    written = adopt(project.settings(), "staging", write_revision=True, allow_drop=True)
    assert written.exit_code == 0, _messages(written)
    assert not [f for f in written.findings if f.severity.value == "warning"], _messages(written)
    path = Path(written.data["written"])
    adoption = f"{int(later) + 1:04d}"
    assert path == project.versions / f"{adoption}_adopt_staging_changes.py"
    text = path.read_text()
    assert 'adopts = "0001"' in text and f'down_revision = "{later}"' in text
    assert "written by baseline, review it" in text.splitlines()[0]
    assert 'alter table "public"."Project" add column if not exists "region" text' in text
    assert project.state("staging") == before
    assert migrations.head(project.versions) == adoption
    # The reviewer acknowledges the plain CREATE INDEX (the gate blocks it otherwise).
    path.write_text(text + '# nivomigrate: ack require-concurrent-index-creation "User" -- '
                    "users are few\n")

    # A plain baseline now adopts it at 0001, counting on the adoption revision.
    adopted = adopt(project.settings(), "staging")
    assert adopted.exit_code == 0, _messages(adopted)
    assert (adopted.data["revision"], adopted.data["adoption_revisions"]) == ("0001", [adoption])
    assert project.runs("staging")[0].checks == [
        {"adoption_revision": adoption, "adopted_at": "0001"}]

    # apply sees no drift, runs the later revision and the adoption revision (a no-op here).
    applied = apply_environment(project.settings(), "staging", progress=Progress(quiet=True))
    assert applied.exit_code == 0, _messages(applied)
    pending = [r.id for r in migrations.revisions(project.versions)][1:]
    assert applied.data["applied"] == pending and pending[-2:] == [later, adoption]
    assert project.state("staging")[0] == adoption

    # A database built from all the revisions has the adopted database's schema.
    settings = project.settings()
    with schema_at(settings, adoption) as fresh, connection(fresh, writes=False) as fresh_conn:
        expected = take_snapshot(fresh_conn)
    with psycopg.connect(project.urls["staging"]) as conn:
        assert compare(expected, take_snapshot(conn)).is_empty


def test_cli_exit_codes_without_traceback_or_password(project):
    project.run("prod", HAND_MADE_CHANGES)
    env = {**os.environ, **project.environ}
    env.pop("NIVOMIGRATE_TEST_DATABASE_URL", None)

    def baseline(*args: str) -> subprocess.CompletedProcess:
        return forked_cli.run("baseline", *args, cwd=project.root, env=env, timeout=120)

    refused = baseline("prod")
    output = refused.stdout + refused.stderr
    assert refused.returncode == 3, output
    for line in DIFFERENCES:
        assert line.format(env="prod") in output
    adopted = baseline("staging", "--revision", "0001", "--format", "json")
    assert adopted.returncode == 0, adopted.stdout + adopted.stderr
    again = baseline("staging")
    assert again.returncode == 2
    assert "error: staging is already at revision 0001" in again.stderr
    for result in (refused, adopted, again):
        text = result.stdout + result.stderr
        assert "Traceback" not in text
        assert CANARY_PASSWORD not in text and quote(CANARY_PASSWORD, safe="") not in text


@pytest.mark.parametrize(("statement", "expected"), [
    ('alter table "public"."Project" add column "region" text',
     'alter table "public"."Project" add column if not exists "region" text'),
    ('CREATE INDEX "User_name_idx" ON public."User" USING btree (name)',
     'CREATE INDEX if not exists "User_name_idx" ON public."User" USING btree (name)'),
    ('CREATE UNIQUE INDEX "a_key" ON public.a USING btree (b)',
     'CREATE UNIQUE INDEX if not exists "a_key" ON public.a USING btree (b)'),
    ('drop index "public"."User_name_idx"', 'drop index if exists "public"."User_name_idx"'),
    ('alter table "public"."Project" drop constraint "Project_userId_fkey"',
     'alter table "public"."Project" drop constraint if exists "Project_userId_fkey"'),
    ('alter table "public"."Project" drop column "region"',
     'alter table "public"."Project" drop column if exists "region"'),
    ('create table "public"."t" ("id" integer not null)',
     'create table if not exists "public"."t" ("id" integer not null)'),
    ('alter table "public"."Project" alter column "name" set default \'x\'::text',
     'alter table "public"."Project" alter column "name" set default \'x\'::text'),
])
def test_statements_are_made_idempotent(statement, expected):
    assert idempotent(statement) == expected


def test_add_constraint_is_wrapped_to_ignore_duplicates():
    wrapped = idempotent('alter table "public"."Project" add constraint "c" check (true) not valid')
    assert wrapped.startswith("DO $adopt$ BEGIN")
    assert "EXCEPTION WHEN duplicate_object OR duplicate_table THEN NULL" in wrapped


def test_migra_output_is_split_into_statements():
    sql = 'alter table "a" add column "b" text;\n\ncreate index x on a (b);\n\n'
    assert split_statements(sql) == ['alter table "a" add column "b" text',
                                      "create index x on a (b)"]


def test_empty_database_is_told_to_run_apply(project, make_database):
    empty = make_database("nivo_empty")
    project.urls["staging"] = empty
    with pytest.raises(ConfigError, match="staging is empty") as refusal:
        adopt(project.settings(), "staging", write_revision=True)
    assert "nivomigrate apply staging" in refusal.value.hint
    assert [p.name for p in project.versions.glob("*.py")] == \
        [p.name for p in (REPO / "versions").glob("*.py")]
    # Following the hint: apply creates it, and plan passes for staging.
    from nivomigrate.steps.apply import apply_environment
    from nivomigrate.steps.plan import make_plan

    quiet = Progress(quiet=True)
    plan = make_plan(project.settings(), "staging", gate="merge", progress=quiet)
    assert [f.help for f in plan.findings if f.check == "empty"] == [
        "run `nivomigrate apply staging`"]
    applied = apply_environment(project.settings(), "staging", progress=quiet)
    assert applied.exit_code == 0, _messages(applied)
    assert project.state("staging")[0] == migrations.head(project.versions)


def test_unversioned_database_is_told_to_run_baseline_not_drift(project):
    from nivomigrate.steps.apply import apply_environment
    from nivomigrate.steps.plan import make_plan
    from nivomigrate.steps.promote import promote_environment

    quiet = Progress(quiet=True)
    plan = make_plan(project.settings(), "all", gate="promote", progress=quiet)
    told = [f for f in plan.findings if f.check == "unversioned"]
    assert {f.environment for f in told} == {"staging", "prod"}
    assert "`nivomigrate baseline prod`" in next(f.help for f in told if f.environment == "prod")
    assert not [f for f in plan.findings if f.check == "drift"]
    assert plan.exit_code == 3
    before = project.state("staging")
    applied = apply_environment(project.settings(), "staging", progress=quiet)
    assert applied.exit_code == 3 and len(applied.findings) == 1
    assert project.state("staging") == before
    assert promote_environment(project.settings(), "prod", progress=quiet).exit_code == 3
    # Following the hint: baseline each, then apply and promote pass.
    for env in ("staging", "prod"):
        assert adopt(project.settings(), env).exit_code == 0
    assert apply_environment(project.settings(), "staging",
                             progress=quiet).exit_code == 0
    promoted = promote_environment(project.settings(), "prod", progress=quiet)
    assert promoted.exit_code == 0, _messages(promoted)


def test_write_revision_refuses_to_drop_a_table_holding_rows_and_summarises(project):
    later = project.add_index_revision()
    project.run("prod", 'INSERT INTO "SystemConfiguration" (id, category, key, "updatedAt") '
                        "VALUES ('one', 'general', 'k', now())")
    tables = [f'"{t}"' for t in ("SystemConfiguration", "Translation", "LocalizationKey",
                                 "Language")]
    project.run("staging", f"DROP TABLE {', '.join(tables)} CASCADE")
    refused = adopt(project.settings(), "staging", write_revision=True, allow_drop=True)
    assert refused.exit_code == 1 and refused.data["written"] is None
    holding = [f for f in refused.findings if f.is_blocking]
    assert [(f.location.object, f.environment) for f in holding] == [
        ('"public"."SystemConfiguration"', "prod")]
    assert migrations.head(project.versions) == later
    # A summary: at most 20 differences and one line counting the rest by kind.
    lines = [f.message for f in refused.findings if f.check == "baseline" and not f.is_blocking]
    assert len(lines) == 21 and "more than shown" in lines[-1]
    assert "tables only in revision 0001" in lines[-1]
