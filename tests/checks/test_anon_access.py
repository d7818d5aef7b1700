"""anon-access: the app's tables give nothing to Supabase's anon and authenticated roles."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate.checks import anon_access
from nivomigrate.findings import Severity

SCHEMA = """
CREATE TABLE "User" (id text PRIMARY KEY, password text);
CREATE TABLE "Log" (id text PRIMARY KEY, message text);
INSERT INTO "User" VALUES ('u1', 'secret');
"""


@pytest.fixture
def database(make_database, api_roles):
    url = make_database("nivo_anon")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA)
    return url


def _findings(url: str, setup: str = ""):
    with psycopg.connect(url, autocommit=True) as conn:
        if setup:
            conn.execute(setup)
        return anon_access.run(conn)


def _anon_reads(url: str, table: str) -> str:
    with psycopg.connect(url) as conn:
        conn.execute("SET ROLE anon")
        try:
            return str(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
        except psycopg.errors.InsufficientPrivilege:
            return "denied"


def test_tables_granted_to_nobody_are_ok(database):
    assert _findings(database) == []
    assert _anon_reads(database, "User") == "denied"


def test_table_granted_to_anon_without_rls_is_error_and_the_hint_closes_it(database):
    [finding] = _findings(database, 'GRANT SELECT ON "User" TO anon')
    assert finding.severity is Severity.ERROR and finding.location.object == "User"
    assert "anon: SELECT" in finding.message
    assert _anon_reads(database, "User") == "1"
    hint = finding.help.split("in the next revision: ", 1)[1].split(", or ALTER")[0]
    assert _findings(database, hint) == []
    assert _anon_reads(database, "User") == "denied"


def test_grant_to_public_counts_for_both_roles(database):
    [finding] = _findings(database, 'GRANT SELECT ON "Log" TO PUBLIC')
    assert "anon: SELECT" in finding.message and "authenticated: SELECT" in finding.message


def test_rls_with_a_policy_closes_the_rows(database):
    setup = ('GRANT SELECT ON "User" TO authenticated; '
             'ALTER TABLE "User" ENABLE ROW LEVEL SECURITY; '
             """CREATE POLICY own ON "User" FOR SELECT TO authenticated USING (id = 'nobody')""")
    assert _findings(database, setup) == []


def test_rls_without_a_policy_closes_every_row(database):
    setup = 'GRANT ALL ON "User" TO anon; ALTER TABLE "User" ENABLE ROW LEVEL SECURITY'
    assert _findings(database, setup) == []
    assert _anon_reads(database, "User") == "0"


def test_a_view_runs_as_its_owner_so_rls_does_not_close_it(database):
    setup = ('ALTER TABLE "User" ENABLE ROW LEVEL SECURITY; '
             'CREATE VIEW "UserView" AS SELECT * FROM "User"; GRANT SELECT ON "UserView" TO anon')
    [finding] = _findings(database, setup)
    assert finding.location.object == "UserView" and finding.severity is Severity.WARNING
    assert _anon_reads(database, "UserView") == "1"
    assert _findings(database, 'ALTER VIEW "UserView" SET (security_invoker = true)') == []
    assert _anon_reads(database, "UserView") == "denied"  # as anon now: no grant on "User"
