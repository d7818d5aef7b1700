"""service-access on the NivoStack schema with its service roles: every hot query and write
shape runs as its service's role; a revision that takes one away is blocked, service named."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql

from nivomigrate.checks import service_access
from nivomigrate.db import Target, connect
from nivomigrate.findings import Severity
from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
from nivomigrate.policies.services import load_service_map
from nivomigrate.progress import Progress
from nivomigrate.roles import service_roles, write_shapes
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.roles import write_roles_revision

QUIET = Progress(quiet=True)


@pytest.fixture
def staged(roles_project):
    """The project with its roles revision applied to staging."""
    assert write_roles_revision(roles_project.settings()).path is not None
    applied = apply_environment(roles_project.settings(), "staging", progress=QUIET)
    assert applied.exit_code == 0, [f for f in applied.findings if f.is_blocking]
    return roles_project


def _run(project, setup: str = ""):
    settings = project.settings()
    if setup:
        with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
            conn.execute(setup)
    with connect(Target("staging", project.urls["staging"]), writes=False) as conn:
        return service_access.run(conn, load_service_map(settings.policies_dir),
                                  load_hot_queries(settings.policies_dir / HOT_QUERIES_FILE))


def test_every_hot_query_and_write_shape_runs_as_its_role(staged):
    settings = staged.settings()
    services = load_service_map(settings.policies_dir)
    queries = load_hot_queries(settings.policies_dir / HOT_QUERIES_FILE)
    assert {r.service for r in service_roles(services)} == {"ingest", "control", "studio"}
    assert len([q for q in queries if q.sql]) >= 20
    with connect(Target("staging", staged.urls["staging"]), writes=False) as conn:
        from nivomigrate.privileges import read_tables

        shapes = write_shapes(services, read_tables(conn))
    assert {s.name for s in shapes} == {"read", "insert", "upsert", "update", "delete"}
    assert len(shapes) > 200
    assert _run(staged) == []


def test_without_service_roles_nothing_is_judged(project):
    assert _run(project) == []


def test_roles_of_another_database_of_the_cluster_are_not_judged_here(staged, make_database,
                                                                      head_template):
    """`staged` made the session's roles; another database at head never granted them."""
    staged_settings = staged.settings()
    other = make_database("nivo_other", template=head_template)
    with connect(Target("prod", other), writes=False) as conn:
        assert service_access.run(conn, load_service_map(staged_settings.policies_dir),
                                  load_hot_queries(staged_settings.policies_dir
                                                   / HOT_QUERIES_FILE)) == []


def test_revoked_grant_is_error_naming_the_service(staged, service_role_names):
    ingest = sql.Identifier(service_role_names["ingest"]).as_string(None)
    found = _run(staged, f'REVOKE INSERT ON "Log" FROM {ingest}')
    assert found and all(f.severity is Severity.ERROR for f in found)
    messages = " ".join(f.message for f in found)
    assert f"ingest ({service_role_names['ingest']}) can no longer run its insert on \"Log\"" \
        in messages
    assert "permission denied" in messages
    assert all("nivomigrate roles" in f.help for f in found)


def test_rls_table_that_shows_its_reader_no_row_is_error(staged, service_role_names):
    setup = """
    INSERT INTO "User" (id, email, password, "updatedAt") VALUES ('u1', 'a@b.c', 's', now());
    INSERT INTO "Project" (id, name, "apiKey", "userId", "updatedAt")
    VALUES ('p1', 'demo', 'k', 'u1', now());
    ALTER TABLE "Project" ENABLE ROW LEVEL SECURITY;
    """
    found = [f for f in _run(staged, setup) if "row level security" in f.message]
    services = {f.message.split(" shows ")[1].split(" (")[0] for f in found}
    assert services == {"ingest", "control", "studio"}
    policy = sql.SQL('CREATE POLICY every_row ON "Project" FOR SELECT TO {} USING (true)').format(
        sql.SQL(", ").join(sql.Identifier(n) for n in service_role_names.values()))
    assert _run(staged, policy.as_string(None)) == []


def test_plan_blocks_a_revision_that_drops_a_column_a_service_reads(staged):
    staged.add_revision(extra="op.execute('ALTER TABLE \"Log\" DROP COLUMN \"message\"')",
                        name="drop_message")
    report = make_plan(staged.settings(), "staging", gate="merge", progress=QUIET)
    found = [f for f in report.findings if f.check == "service-access" and f.is_blocking]
    assert report.exit_code == 1
    assert any(f.message.startswith("ingest (") and '"Log"' in f.message
               and 'column "message" of relation "Log" does not exist' in f.message for f in found)
