"""anon-opened: a revision that opens a table to Supabase's Data API roles is blocked."""

from __future__ import annotations

import psycopg
import pytest
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.checks import anon_opened
from nivomigrate.checks.revision_sql import render_revision
from nivomigrate.db import Target, connect
from nivomigrate.findings import Severity

SCHEMA = 'CREATE TABLE "User" (id text PRIMARY KEY, password text);'
SUPABASE_DEFAULTS = ("ALTER DEFAULT PRIVILEGES IN SCHEMA public "
                     "GRANT ALL ON TABLES TO anon, authenticated")


def _run(tmp_path, body, url=None):
    settings = make_project(tmp_path, [body])
    revision = migrations.revisions(settings.versions_dir)[0]
    rendered = render_revision(settings.versions_dir, revision)
    if url is None:
        return anon_opened.run(rendered, {})
    with connect(Target("staging", url), writes=False) as conn:
        return anon_opened.run(rendered, {"staging": conn})


@pytest.fixture
def database(make_database, api_roles):
    url = make_database("nivo_anon")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA)
    return url


def test_grant_to_anon_is_error_with_the_revoke(tmp_path):
    [finding] = _run(tmp_path, """op.execute('GRANT SELECT ON "User" TO anon')""")
    assert finding.severity is Severity.ERROR and finding.location.object == "User"
    assert 'REVOKE ALL ON TABLE "public"."User" FROM anon, authenticated' in finding.help


def test_grant_followed_by_rls_is_ok(tmp_path):
    body = """
    op.execute('GRANT SELECT ON "User" TO authenticated')
    op.execute('ALTER TABLE "User" ENABLE ROW LEVEL SECURITY')
    """
    assert _run(tmp_path, body) == []


def test_grant_to_a_service_role_is_ok(tmp_path):
    assert _run(tmp_path, """op.execute('GRANT SELECT ON "User" TO nivo_ingest')""") == []


def test_disabling_rls_is_error(tmp_path):
    body = """op.execute('ALTER TABLE "User" DISABLE ROW LEVEL SECURITY')"""
    [finding] = _run(tmp_path, body)
    assert finding.location.object == "User"


def test_default_privileges_to_anon_are_error(tmp_path):
    [finding] = _run(tmp_path, f"op.execute('{SUPABASE_DEFAULTS}')")
    assert "created later" in finding.message


def test_create_table_is_ok_where_new_tables_inherit_nothing(tmp_path, database):
    body = """op.execute('CREATE TABLE "Audit" (id text)')"""
    assert _run(tmp_path, body, database) == []


def test_create_table_under_supabase_defaults_is_error_and_its_hint_passes(tmp_path, database):
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(SUPABASE_DEFAULTS)
    body = """op.execute('CREATE TABLE "Audit" (id text)')"""
    [finding] = _run(tmp_path / "a", body, database)
    assert finding.location.object == "Audit" and finding.environment == "staging"
    revoke = finding.help.split("in the same revision: ", 1)[1].split("; or ALTER")[0]
    assert _run(tmp_path / "b", body + f"\nop.execute('{revoke}')", database) == []


def test_grant_to_public_opens_the_table_only_on_a_supabase_project(tmp_path, database):
    body = """op.execute('GRANT SELECT ON "User" TO PUBLIC')"""
    [unknown] = _run(tmp_path / "a", body)  # no database: it may be Supabase
    assert unknown.location.object == "User"
    # A plain PostgreSQL (no platform schemas), even with roles named anon and authenticated:
    # PUBLIC is every role of the server, but no Data API answers there.
    assert _run(tmp_path / "b", body, database) == []
