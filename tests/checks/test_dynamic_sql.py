"""dynamic-sql: EXECUTE in a DO block, in a function a revision creates or in one it calls is an
error until acknowledged; static PL/pgSQL is not flagged, and `apply staging` of the issue's
DO-block drop is refused with the column intact."""

import json
import os

import psycopg
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.db import Target
from nivomigrate.findings import Severity
from nivomigrate.steps.lint import lint_findings
from tests import forked_cli

HIDDEN_DROP = ('''op.execute("""DO $$ BEGIN EXECUTE '''
               ''''ALTER TABLE "Log" DROP COLUMN "message"'; END $$""")''')
ACK = '# nivomigrate: ack dynamic-sql "DO" -- renames per environment, reviewed in #12\n'
LOG = 'create table "Log" (id bigint primary key, message text)'


def _findings(tmp_path, body, urls=None):
    settings = make_project(tmp_path, [body], promotion='squawk_default: "off"\n')
    targets = {env: Target(env, url) for env, url in (urls or {}).items()}
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir), targets)
    return [f for f in findings if f.check in {"dynamic-sql", "unused-waiver"}]


def test_execute_in_a_do_block_is_error_at_its_line(tmp_path):
    [finding] = _findings(tmp_path, HIDDEN_DROP)
    assert finding.severity is Severity.ERROR
    assert "EXECUTE in a DO block" in finding.message
    assert finding.location.object == "DO"
    assert 'ack dynamic-sql "DO"' in finding.help
    source = next((tmp_path / "versions").glob("*.py")).read_text().splitlines()
    assert "EXECUTE" in source[finding.location.line - 1]


def test_acknowledged_do_block_is_info_with_the_reason(tmp_path):
    [finding] = _findings(tmp_path, ACK + HIDDEN_DROP)
    assert finding.severity is Severity.INFO
    assert "acknowledged: renames per environment" in finding.message


def test_function_created_with_execute_is_error_named_by_the_function(tmp_path):
    body = '''op.execute("""CREATE OR REPLACE FUNCTION public.purge(t text) RETURNS void
    LANGUAGE plpgsql AS $fn$ BEGIN EXECUTE format('TRUNCATE %I', t); END $fn$""")'''
    [finding] = _findings(tmp_path, body)
    assert finding.severity is Severity.ERROR
    assert finding.location.object == "public.purge"


def test_static_plpgsql_and_grant_execute_are_ok(tmp_path):
    body = '''op.execute("""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'x') THEN CREATE ROLE x; END IF;
        RAISE NOTICE 'EXECUTE is only a word here';
        GRANT EXECUTE ON FUNCTION now() TO x;
    END $$""")
op.execute('CREATE TRIGGER t AFTER INSERT ON "Log" FOR EACH ROW EXECUTE FUNCTION f()')'''
    assert _findings(tmp_path, body) == []


def test_calling_an_existing_function_that_executes_is_error_per_database(
        tmp_path, make_database):
    url = make_database("nivo_staging")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(LOG)
        conn.execute("""create function tidy() returns void language plpgsql as $$
            begin execute 'alter table "Log" drop column message'; end $$""")
    [finding] = _findings(tmp_path, 'op.execute("SELECT tidy()")', {"staging": url})
    assert finding.severity is Severity.ERROR
    assert finding.environment == "staging"
    assert "tidy()" in finding.message and finding.location.object == "tidy"


def _apply(tmp_path, url, shadow_url):
    return forked_cli.run(
        "apply", "staging", "--format", "json", cwd=tmp_path, timeout=300,
        env={**os.environ, "T_STAGING_URL": url, "NIVOMIGRATE_SHADOW_URL": shadow_url})


def test_apply_staging_refuses_the_hidden_drop_and_keeps_the_column(
        tmp_path, make_database, canary_admin_url):
    url = make_database("nivo_staging")
    create = f'op.execute({LOG!r})'
    make_project(tmp_path, [create], promotion='squawk_default: "off"\n')
    assert _apply(tmp_path, url, canary_admin_url).returncode == 0
    make_project(tmp_path, [create, HIDDEN_DROP], promotion='squawk_default: "off"\n')
    done = _apply(tmp_path, url, canary_admin_url)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert "dynamic-sql" in {f["check"] for f in report["findings"]}
    with psycopg.connect(url) as conn:
        assert conn.execute("select count(*) from information_schema.columns where "
                            "table_name = 'Log' and column_name = 'message'").fetchone()[0] == 1


def test_an_adoption_revision_carries_the_acknowledgement_of_a_function_it_copies(tmp_path):
    from nivomigrate.engine.adoption import render_adoption_revision

    settings = make_project(tmp_path, ['op.execute("SELECT 1")'],
                            promotion='squawk_default: "off"\n')
    function = ("CREATE OR REPLACE FUNCTION public.purge(t text) RETURNS void LANGUAGE plpgsql "
                "AS $fn$ BEGIN EXECUTE 'TRUNCATE ' || quote_ident(t); END $fn$")
    (settings.versions_dir / "r2_adopt.py").write_text(render_adoption_revision(
        revision="r2", down_revision="r1", adopts="r1", environment="prod",
        differences=["function purge"], upgrade=[function],
        downgrade=["DROP FUNCTION public.purge(text)"]))
    revisions = migrations.revisions(settings.versions_dir)
    findings = [f for f in lint_findings(settings, revisions, {}) if f.check == "dynamic-sql"]
    assert [(f.severity, f.location.object) for f in findings] == [
        (Severity.INFO, "public.purge")]
    assert "copied from prod" in findings[0].message
