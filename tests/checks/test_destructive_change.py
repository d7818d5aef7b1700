import psycopg
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.checks.destructive_change import is_narrowing
from nivomigrate.db import Target
from nivomigrate.findings import Severity
from nivomigrate.steps.lint import lint_findings

DROP = 'op.drop_column("Log", "legacyField")'
ACK = '# nivomigrate: ack destructive-change "Log.legacyField" -- copied to Archive\n'


def _findings(tmp_path, make_database, body):
    urls = {}
    for env, rows in (("staging", 3), ("prod", 7)):
        urls[env] = make_database(f"nivo_{env}")
        with psycopg.connect(urls[env], autocommit=True) as conn:
            conn.execute('create table "Log" (id bigint primary key, "legacyField" text)')
            conn.execute('insert into "Log" select g, case when g %% 2 = 1 then repeat(\'x\', 100) '
                         'end from generate_series(1, %s) g', (rows,))
    settings = make_project(tmp_path, [body], promotion='squawk_default: "off"\n')
    targets = {env: Target(env, url) for env, url in urls.items()}
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir), targets)
    return [f for f in findings if f.check in {"destructive-change", "unused-waiver"}]


def test_unacknowledged_drop_column_is_error_with_what_each_environment_loses(
        tmp_path, make_database):
    [finding] = _findings(tmp_path, make_database, DROP)
    assert finding.severity is Severity.ERROR
    assert finding.location.object == "Log.legacyField"
    evidence = dict(finding.evidence)
    assert evidence["staging"].startswith("2 values")
    assert evidence["prod"].startswith("4 values")
    assert 'ack destructive-change "Log.legacyField"' in finding.help


def test_acknowledged_drop_is_info(tmp_path, make_database):
    [finding] = _findings(tmp_path, make_database, ACK + DROP)
    assert finding.severity is Severity.INFO
    assert "acknowledged: copied to Archive" in finding.message


def test_ack_matching_nothing_is_warning(tmp_path, make_database):
    body = '# nivomigrate: ack destructive-change "Log.other" -- typo\n' + DROP
    findings = _findings(tmp_path, make_database, body)
    assert sorted((f.check, f.severity) for f in findings) == [
        ("destructive-change", Severity.ERROR), ("unused-waiver", Severity.WARNING)]


def test_narrowing_types():
    assert is_narrowing("character varying(100)", "VARCHAR(10)")
    assert is_narrowing("bigint", "INTEGER")
    assert is_narrowing("text", "VARCHAR(20)")
    assert not is_narrowing("character varying(10)", "TEXT")
    assert not is_narrowing("integer", "BIGINT")
    assert not is_narrowing("numeric(10,2)", "NUMERIC(12,2)")
