"""The platform's objects are not ours: snapshot, diff and index checks leave them alone.

On the Supabase-shaped server (tests/supabase_server.py), as the non-superuser `postgres`.
"""

from __future__ import annotations

import psycopg

from nivomigrate.checks import redundant_index
from nivomigrate.db import Target, connect
from nivomigrate.engine.diff import diff_schemas
from nivomigrate.platform import read_platform
from nivomigrate.snapshot import take_snapshot
from tests.supabase_server import ADMIN, PLATFORM_SCHEMAS

APP_OBJECTS = {"function public.handle_new_user()",
               "policy public.Project.Project owners read their projects",
               "trigger auth.users.on_auth_user_created"}


def _snapshot(url: str):
    with connect(Target("test", url), writes=False) as conn:
        return take_snapshot(conn)


def _run(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_platform_is_read_from_the_catalog(supabase_databases):
    with connect(Target("test", supabase_databases.prod_url), writes=False) as conn:
        platform = read_platform(conn)
    assert platform.schemas == set(PLATFORM_SCHEMAS)
    assert {"supabase_admin", "supabase_auth_admin"} <= platform.roles


def test_snapshot_holds_the_apps_objects_and_nothing_of_the_platform(supabase_databases):
    snapshot = _snapshot(supabase_databases.prod_url)
    names = {key.split(" ", 1)[1] for key in snapshot.objects}
    assert APP_OBJECTS <= set(snapshot.objects)
    assert snapshot.objects["table public.Project"]["row_security"] is True
    platform_keys = [name for name in names
                     if name.split(".", 1)[0] in PLATFORM_SCHEMAS
                     and name != "auth.users.on_auth_user_created"]
    assert platform_keys == []
    assert not [key for key in snapshot.objects
                if "hypopg" in key or "uuid_generate" in key or "pg_stat_statements" in key]


def test_the_platforms_changes_are_not_differences(make_supabase_database, supabase_server):
    staging, prod = (make_supabase_database(f"nivo_pf_{env}") for env in ("staging", "prod"))
    name = prod.rsplit("/", 1)[1]
    # What a newer platform adds: a table of its own in auth, one in public, an extension.
    supabase_server.psql(name, "supabase_auth_admin",
                         "create table auth.sessions (id uuid primary key);")
    supabase_server.psql(name, ADMIN, "create table public.platform_cache (id int);\n"
                         "create extension citext with schema extensions;")
    result = diff_schemas(Target("staging", staging), Target("prod", prod))
    assert result.is_empty, (result.snapshot_diff, result.sql)


def test_the_apps_trigger_on_auth_users_is_compared_and_scripted(make_supabase_database):
    staging, prod = (make_supabase_database(f"nivo_pf_{env}") for env in ("staging", "prod"))
    _run(prod, "drop trigger on_auth_user_created on auth.users")
    result = diff_schemas(Target("prod", prod), Target("staging", staging))
    assert result.snapshot_diff.keys() == {
        "added": ["trigger auth.users.on_auth_user_created"], "removed": [], "changed": []}
    assert "create trigger on_auth_user_created" in result.sql.lower()
    assert "auth.users" in result.sql and "storage" not in result.sql


def test_redundant_indexes_of_the_platform_are_not_reported(supabase_databases):
    # auth.users_instance_id_idx and auth.refresh_tokens_instance_id_idx are left prefixes.
    with connect(Target("test", supabase_databases.prod_url), writes=False) as conn:
        findings = redundant_index.run(conn)
    assert not [f for f in findings if "instance_id" in f.message or "auth" in (f.help or "")]


def test_the_apps_redundant_index_is_still_reported(make_supabase_database):
    url = make_supabase_database("nivo_pf_redundant")
    _run(url, 'create index "Project_name_idx" on "Project" (name);'
              'create index "Project_name_id_idx" on "Project" (name, id);')
    with connect(Target("test", url), writes=False) as conn:
        findings = redundant_index.run(conn)
    # Prisma's own redundant indexes are reported too (NivoStack has many).
    assert "Project_name_idx" in [f.location.object for f in findings
                                  if "left prefix" in f.message]
