"""The Supabase-shaped test server is shaped like Supabase, and NivoStack's app is on it."""

from __future__ import annotations

import psycopg
import pytest

from tests.supabase_server import FIXTURES, SKIPPED, script_text


def _rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_postgres_is_demoted_and_supabase_admin_is_the_superuser(supabase_databases):
    roles = dict(_rows(supabase_databases.prod_url,
                       "select rolname, rolsuper from pg_roles where rolname in "
                       "('postgres', 'supabase_admin', 'anon', 'authenticated', "
                       "'service_role', 'supabase_auth_admin', 'authenticator')"))
    assert roles == {"postgres": False, "supabase_admin": True, "anon": False,
                     "authenticated": False, "service_role": False,
                     "supabase_auth_admin": False, "authenticator": False}


def test_platform_schemas_belong_to_the_platform(supabase_databases):
    owners = dict(_rows(supabase_databases.staging_url,
                        "select nspname, nspowner::regrole::text from pg_namespace "
                        "where nspname in ('auth', 'storage', 'realtime', 'graphql_public')"))
    assert owners == {"auth": "supabase_admin", "storage": "supabase_admin",
                      "realtime": "supabase_admin", "graphql_public": "supabase_admin"}
    functions = _rows(supabase_databases.staging_url,
                      "select proowner::regrole::text from pg_proc "
                      "where oid = 'auth.uid()'::regprocedure")
    assert functions == [("supabase_auth_admin",)]


def test_app_is_loaded_as_postgres_with_rls_policy_function_and_trigger(supabase_databases):
    url = supabase_databases.prod_url
    assert _rows(url, "select relowner::regrole::text, relrowsecurity from pg_class "
                      "where oid = 'public.\"Project\"'::regclass") == [("postgres", True)]
    assert _rows(url, "select polname, polroles::regrole[]::text from pg_policy") == [
        ("Project owners read their projects", "{authenticated}")]
    assert _rows(url, "select tgname from pg_trigger where tgrelid = 'auth.users'::regclass "
                      "and not tgisinternal") == [("on_auth_user_created",)]


def test_app_trigger_on_auth_users_runs(make_supabase_database):
    url = make_supabase_database("nivo_supabase_trigger")
    with psycopg.connect(url) as conn:
        conn.execute("insert into auth.users (id, email) values (gen_random_uuid(), 'a@b.c')")
        assert conn.execute('select email from "User"').fetchall() == [("a@b.c",)]


def test_every_skipped_statement_is_in_its_pinned_script():
    for name in SKIPPED:
        path = next(FIXTURES.rglob(name))
        assert "-- skipped by the tests: " in script_text(path)


def test_a_statement_missing_from_its_script_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "00000000000000-initial-schema.sql"
    path.write_text("create schema extensions;\n")
    with pytest.raises(RuntimeError, match="no longer holds"):
        script_text(path)
