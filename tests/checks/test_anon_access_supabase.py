"""On the Supabase-shaped server (tests/supabase_server.py: Supabase's own init scripts, the app
loaded as the non-superuser `postgres`): the anon key opens NivoStack's tables, anon-access and
anon-opened see it, their hints close it, and the service roles work as `postgres` made them."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import sql
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.checks import anon_access, anon_opened, service_access
from nivomigrate.checks.revision_sql import render_revision
from nivomigrate.db import Target, connect
from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
from nivomigrate.policies.services import ServiceMap, load_service_map
from nivomigrate.roles import change_statements, create_role_sql, service_roles
from nivomigrate.steps.roles import privilege_change
from tests.conftest import REPO
from tests.role_fixtures import drop_roles

QUERIES = load_hot_queries(REPO / "policies" / HOT_QUERIES_FILE)


@pytest.fixture
def services(service_role_names, supabase_server):
    """services.yaml with the session's role names; the roles are dropped from the Supabase
    server after the test (the platform copy of the shadow copies that server's roles)."""
    loaded = load_service_map(REPO / "policies")
    yield ServiceMap(loaded.uses, loaded.owners, dict(service_role_names))
    drop_roles(supabase_server.admin_url, list(service_role_names.values()))


@pytest.fixture
def app(make_supabase_database) -> str:
    return make_supabase_database("nivo_supabase_anon")


def _tables(conn) -> list[str]:
    rows = conn.execute("select relname from pg_class c join pg_namespace n on n.oid = "
                        "c.relnamespace where nspname = 'public' and relkind = 'r'").fetchall()
    return sorted(name for (name,) in rows)


def _anon_sees(conn, table: str) -> str:
    """What anon reads of `table`: 'denied' or the row count, as the Data API would ask."""
    with conn.transaction(force_rollback=True):
        conn.execute("SET LOCAL ROLE anon")
        try:
            with conn.transaction():
                query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
                return str(conn.execute(query).fetchone()[0])
        except psycopg.errors.InsufficientPrivilege:
            return "denied"


def test_supabase_defaults_open_the_app_and_the_hints_close_it(app):
    with psycopg.connect(app, autocommit=True) as conn:
        conn.execute("""INSERT INTO "User" (id, email, password, "updatedAt")
                        VALUES ('u1', 'a@b.c', 'secret', now())""")
        assert conn.execute("select rolsuper from pg_roles where rolname = current_user"
                            ).fetchone() == (False,)
        assert _anon_sees(conn, "User") == "1"  # "User".password through the anon key
        found = anon_access.run(conn)
        opened = {f.location.object for f in found}
        assert "User" in opened and "Project" not in opened  # Project has RLS and a policy
        for finding in found:
            conn.execute(finding.help.split("in the next revision: ", 1)[1].split(", or ")[0])
        assert anon_access.run(conn) == []
        assert {table: _anon_sees(conn, table) for table in _tables(conn)
                if _anon_sees(conn, table) not in ("denied", "0")} == {}


def test_create_table_under_supabase_defaults_is_blocked(app, tmp_path):
    settings = make_project(tmp_path, ["""op.execute('CREATE TABLE "Audit" (id text)')"""])
    [first] = migrations.revisions(settings.versions_dir)
    revision = render_revision(settings.versions_dir, first)
    with connect(Target("prod", app), writes=False) as conn:
        [finding] = anon_opened.run(revision, {"prod": conn})
    assert finding.location.object == "Audit" and finding.environment == "prod"


def test_roles_made_by_the_non_superuser_postgres_work(app, services):
    with psycopg.connect(app, autocommit=True) as conn:
        change, unmapped = privilege_change(conn, services)
        assert unmapped == []
        for role in sorted({p.role for p in change.grants}):
            conn.execute(create_role_sql(role))
        for statement in change_statements(change):
            conn.execute(statement)
        assert privilege_change(conn, services)[0].is_empty
    with connect(Target("staging", app), writes=False) as conn:
        assert service_access.run(conn, services, QUERIES) == []
    ingest = next(r.role for r in service_roles(services) if r.service == "ingest")
    with psycopg.connect(app) as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(ingest)))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute('SELECT password FROM "User"')
