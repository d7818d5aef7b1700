"""The platform's part of a Supabase database, copied into a plain shadow server."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate import shadow, shadow_platform
from nivomigrate.db import Target, with_database
from nivomigrate.snapshot import take_snapshot


@pytest.fixture
def shadow_extensions(canary_admin_url) -> set[str]:
    with shadow.admin_connection(canary_admin_url) as conn:
        return shadow_platform.available_extensions(conn)


@pytest.fixture
def copied(supabase_databases, canary_admin_url, shadow_extensions):
    copy = shadow_platform.read_copy(Target("prod", supabase_databases.prod_url),
                                     shadow_extensions)
    template = shadow_platform.ensure_template(canary_admin_url, copy)
    yield copy, with_database(canary_admin_url, template)
    shadow.drop_database(canary_admin_url, template)


def test_plain_postgresql_has_nothing_to_copy(make_database, shadow_extensions):
    url = make_database("nivo_plain")
    assert shadow_platform.read_copy(Target("staging", url), shadow_extensions) is None


def test_copy_keeps_the_platforms_owners_and_leaves_the_apps_objects_out(copied):
    copy, url = copied
    assert {"anon", "authenticated", "service_role", "supabase_auth_admin"} <= set(copy.roles)
    assert "on_auth_user_created" not in copy.sql and "handle_new_user" not in copy.sql
    with psycopg.connect(url) as conn:
        owners = conn.execute("select relowner::regrole::text from pg_class "
                              "where oid = 'auth.users'::regclass").fetchall()
        assert owners == [("supabase_auth_admin",)]
        # Nothing of the app's; of the platform's privilege setup, the grants on public.
        assert sorted(take_snapshot(conn).objects) == [
            f"grant on schema public to {role}"
            for role in ("anon", "authenticated", "postgres", "service_role")] + ["schema public"]


def test_a_table_made_in_the_copy_gets_the_grants_it_gets_on_supabase(copied):
    _, url = copied
    with psycopg.connect(url) as conn:  # as the shadow's role, like the revisions it builds
        conn.execute("create table public.note (id int primary key)")
        granted = conn.execute(
            "select grantee, string_agg(privilege_type, ',' order by privilege_type) "
            "from information_schema.role_table_grants where table_name = 'note' "
            "and grantee in ('anon', 'authenticated', 'service_role') group by 1 order by 1"
        ).fetchall()
        conn.rollback()
    every = "DELETE,INSERT,REFERENCES,SELECT,TRIGGER,TRUNCATE,UPDATE"
    assert granted == [("anon", every), ("authenticated", every), ("service_role", every)]


def test_revisions_granting_to_anon_and_calling_auth_uid_build_on_the_copy(copied):
    _, url = copied
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("""
            create table public.note (id int primary key, owner uuid default auth.uid());
            alter table public.note enable row level security;
            create policy mine on public.note to authenticated using (owner = auth.uid());
            grant select on public.note to anon;
            drop table public.note;
        """)


def test_the_same_platform_is_one_template(supabase_databases, canary_admin_url, copied,
                                           shadow_extensions):
    copy, _ = copied
    again = shadow_platform.read_copy(Target("staging", supabase_databases.staging_url),
                                      shadow_extensions)
    assert again.digest == copy.digest
    assert shadow_platform.ensure_template(canary_admin_url, again) == \
        shadow_platform.ensure_template(canary_admin_url, copy)
