"""`nivomigrate roles` on the NivoStack schema: the revision it writes, applied to staging and
promoted to prod, gives each service's role exactly what services.yaml says, and no more."""

from __future__ import annotations

import os

import psycopg
import pytest
from psycopg import sql
from report_schema import schema_errors

from nivomigrate.checks import service_access
from nivomigrate.db import Target, connect
from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
from nivomigrate.policies.services import load_service_map
from nivomigrate.progress import Progress
from nivomigrate.render.json import render_json
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.check import check_models
from nivomigrate.steps.promote import promote_environment
from nivomigrate.steps.roles import write_roles_revision
from tests import forked_cli
from tests.steps.conftest import COPIED_MODELS

QUIET = Progress(quiet=True)
SEED = """
INSERT INTO "User" (id, email, password, "updatedAt") VALUES ('u1', 'a@b.c', 'secret', now());
INSERT INTO "Project" (id, name, "apiKey", "userId", "updatedAt")
VALUES ('p1', 'demo', 'key-1', 'u1', now());
"""


@pytest.fixture
def promoted(roles_project):
    """The project after `roles`, apply staging and promote prod, with a user and a project."""
    result = write_roles_revision(roles_project.settings())
    assert result.path is not None and result.path.parent.name == "versions"
    # The grants it writes are declared for the models too (check agrees: the test below).
    declared = roles_project.root / COPIED_MODELS / "adopted_service_roles.py"
    assert result.report.data["declarations"] == str(declared)
    assert "ColumnGrant(" in declared.read_text()
    assert schema_errors(render_json(result.report)) == []
    applied = apply_environment(roles_project.settings(), "staging", progress=QUIET)
    assert applied.exit_code == 0, applied.findings
    promoted = promote_environment(roles_project.settings(), "prod", progress=QUIET)
    assert promoted.exit_code == 0, promoted.findings
    with psycopg.connect(roles_project.urls["staging"], autocommit=True) as conn:
        conn.execute(SEED)
    return roles_project


def _as(url: str, role: str, statement: str) -> str | None:
    """Run `statement` as `role` in a rolled-back transaction; return the error, or None."""
    with psycopg.connect(url) as conn:
        try:
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            conn.execute(statement)
            return None
        except psycopg.Error as exc:
            return type(exc).__name__
        finally:
            conn.rollback()


INSERT_LOG = ('INSERT INTO "Log" (id, "projectId", message, level, timestamp) '
              "VALUES ('l1', 'p1', 'hello', 'info', now()) RETURNING *")


def test_roles_revision_applied_and_promoted_leaves_check_clean(promoted):
    report = check_models(promoted.settings())
    assert report.exit_code == 0, report.findings
    again = write_roles_revision(promoted.settings())
    assert again.path is None
    assert again.report.data == {"revision": None, "dry_run": False, "grants": 0, "revokes": 0}


def test_ingest_inserts_a_log_but_cannot_drop_alter_or_read_passwords(promoted,
                                                                      service_role_names):
    staging, ingest = promoted.urls["staging"], service_role_names["ingest"]
    assert _as(staging, ingest, INSERT_LOG) is None
    assert _as(staging, ingest, 'DROP TABLE "Log"') == "InsufficientPrivilege"
    assert _as(staging, ingest, 'ALTER TABLE "Log" ADD COLUMN x int') == "InsufficientPrivilege"
    assert _as(staging, ingest, 'SELECT password FROM "User"') == "InsufficientPrivilege"
    assert _as(staging, ingest, 'TRUNCATE "Log"') == "InsufficientPrivilege"
    assert _as(staging, ingest, 'DELETE FROM "Log"') == "InsufficientPrivilege"


def test_the_same_holds_on_prod_after_promotion(promoted, service_role_names):
    prod, ingest = promoted.urls["prod"], service_role_names["ingest"]
    assert _as(prod, ingest, 'SELECT password FROM "User"') == "InsufficientPrivilege"
    assert _as(prod, ingest, 'SELECT id FROM "Log" LIMIT 1') is None


def test_control_and_ingest_write_only_what_the_map_names(promoted, service_role_names):
    staging = promoted.urls["staging"]
    control, ingest = service_role_names["control"], service_role_names["ingest"]
    # services.yaml: control writes only these columns of EnforcementState (lib/enforcement.ts)
    assert _as(staging, control, 'UPDATE "EnforcementState" SET "createdAt" = now()') \
        == "InsufficientPrivilege"
    assert _as(staging, control, 'TRUNCATE "Log"') == "InsufficientPrivilege"
    # ingest only reads SDK configuration
    assert _as(staging, ingest, 'DELETE FROM "ApiConfig"') == "InsufficientPrivilege"
    assert _as(staging, ingest, 'UPDATE "Project" SET name = name') == "InsufficientPrivilege"


def test_the_read_role_cannot_write(promoted, service_role_names):
    staging, read = promoted.urls["staging"], service_role_names["studio_read"]
    assert _as(staging, read, 'SELECT count(*) FROM "Log"') is None
    assert _as(staging, read, INSERT_LOG) == "InsufficientPrivilege"
    assert _as(staging, read, "UPDATE \"Project\" SET name = 'x'") == "InsufficientPrivilege"
    assert _as(staging, read, 'DELETE FROM "User"') == "InsufficientPrivilege"


def test_roles_revokes_what_the_map_no_longer_names(promoted, service_role_names):
    with psycopg.connect(promoted.urls["staging"], autocommit=True) as conn:
        ingest = sql.Identifier(service_role_names["ingest"])
        conn.execute(sql.SQL('GRANT SELECT ON "User" TO {}').format(ingest))
    # the map is compared with the schema at head, which the revisions build: add a grant there
    path = promoted.add_revision(
        extra=f"op.execute('GRANT SELECT ON \"User\" TO {service_role_names['ingest']}')",
        name="grant_user")
    result = write_roles_revision(promoted.settings(), "Close User to ingest")
    assert result.path is not None and result.path != path
    text = result.path.read_text()
    assert f'REVOKE SELECT ON TABLE "public"."User" FROM "{service_role_names["ingest"]}"' in text


def test_control_deletes_ingests_logs_but_cannot_insert_them(promoted, service_role_names):
    """Issue 21: control only deletes and reads ingest's tables (services.yaml operations)."""
    staging, control = promoted.urls["staging"], service_role_names["control"]
    assert _as(staging, control, INSERT_LOG) == "InsufficientPrivilege"
    assert _as(staging, control, 'UPDATE "Log" SET message = message') == "InsufficientPrivilege"
    assert _as(staging, control, 'INSERT INTO "Crash" (id) VALUES (\'c1\')') \
        == "InsufficientPrivilege"
    assert _as(staging, control, "DELETE FROM \"Log\" WHERE \"projectId\" = 'p1'") is None
    with connect(Target("staging", staging), writes=False) as conn:
        settings = promoted.settings()
        assert service_access.run(conn, load_service_map(settings.policies_dir),
                                  load_hot_queries(settings.policies_dir / HOT_QUERIES_FILE)) == []


def test_no_service_role_may_create_temporary_tables(promoted, service_role_names):
    """Issue 25: PUBLIC's TEMPORARY on the database is revoked on staging and on prod."""
    for env in ("staging", "prod"):
        for role in service_role_names.values():
            assert _as(promoted.urls[env], role, "CREATE TEMP TABLE scratch (x int)") \
                == "InsufficientPrivilege", (env, role)
        # the services' reads and writes still pass (services.yaml against the catalog)
        with connect(Target(env, promoted.urls[env]), writes=False) as conn:
            settings = promoted.settings()
            assert service_access.run(conn, load_service_map(settings.policies_dir),
                                      load_hot_queries(settings.policies_dir / HOT_QUERIES_FILE)
                                      ) == []


def test_the_roles_revision_passes_the_gate_with_its_dynamic_sql_acknowledged(promoted):
    from nivomigrate import migrations
    from nivomigrate.steps.lint import lint_findings

    settings = promoted.settings()
    [revision] = [r for r in migrations.revisions(settings.versions_dir)
                  if "service_roles" in r.file_name]
    text = revision.path.read_text()
    assert "EXECUTE format" not in text and "%" not in text
    findings = lint_findings(settings, [revision], {})
    [dynamic] = [f for f in findings if f.check == "dynamic-sql"]
    assert dynamic.severity.value == "info" and "acknowledged: the database's name" \
        in dynamic.message
    assert not [f for f in findings if f.is_blocking]


def test_dry_run_shows_both_files_and_their_paths_and_writes_neither(roles_project):
    versions = sorted(p.name for p in (roles_project.root / "versions").iterdir())
    declared = roles_project.root / COPIED_MODELS / "adopted_service_roles.py"
    environ = {**os.environ, **roles_project.environ}

    shown = forked_cli.run("roles", "--dry-run", cwd=roles_project.root, env=environ, timeout=300)

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert sorted(p.name for p in (roles_project.root / "versions").iterdir()) == versions
    assert not declared.exists()
    revision = f"versions/{int(roles_project.head()) + 1:04d}_service_roles.py"
    assert f"would write the revision {revision}" in shown.stdout
    assert f"{COPIED_MODELS}/adopted_service_roles.py" in shown.stdout
    assert "op.execute" in shown.stdout and "TableGrant(" in shown.stdout
    assert str(roles_project.root) not in shown.stdout  # paths relative to the project

    written = forked_cli.run("roles", cwd=roles_project.root, env=environ, timeout=300)

    assert written.returncode == 0, written.stdout + written.stderr
    assert f"wrote the revision {revision}" in written.stdout
    assert f"{COPIED_MODELS}/adopted_service_roles.py" in written.stdout and declared.exists()
