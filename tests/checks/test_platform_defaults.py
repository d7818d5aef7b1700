"""platform-defaults: on Supabase, staging and prod must give new objects the same grants."""

from __future__ import annotations

import psycopg

from nivomigrate.checks import platform_defaults

# What Supabase projects made since 2026-05-30 have: new tables go to no Data API role.
NEWER_DEFAULTS = ("alter default privileges in schema public "
                  "revoke all on tables from anon, authenticated, service_role")


def _findings(staging_url: str, prod_url: str, pending: bool = True):
    with psycopg.connect(staging_url) as staging, psycopg.connect(prod_url) as prod:
        return platform_defaults.findings(staging, prod, "prod", pending=pending)


def _run(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_an_older_prod_is_named_and_the_fix_makes_it_pass(make_supabase_database):
    staging = make_supabase_database("nivo_pd_staging")
    prod = make_supabase_database("nivo_pd_prod")
    assert _findings(staging, prod) == []
    _run(staging, NEWER_DEFAULTS)
    [finding] = _findings(staging, prod)
    assert finding.is_blocking and finding.exit_code == 3
    assert "anon SELECT on new tables only on prod" in finding.message
    [early] = _findings(staging, prod, pending=False)  # nothing created yet: named, not blocking
    assert not early.is_blocking and early.message == finding.message
    statements = finding.help.split("as the migration role: ", 1)[1]
    _run(prod, statements)  # the fix, as the non-superuser postgres, followed literally
    assert _findings(staging, prod) == []


def test_plain_postgresql_is_left_to_the_snapshot(make_database):
    staging, prod = make_database("nivo_pd_plain"), make_database("nivo_pd_plain")
    _run(staging, "alter default privileges in schema public grant select on tables to public")
    assert _findings(staging, prod) == []
