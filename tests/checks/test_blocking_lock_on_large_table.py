import psycopg
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.db import Target
from nivomigrate.findings import Severity
from nivomigrate.steps.lint import lint_findings

POLICY = """
    squawk_default: "off"
    large_table: {rows: 1000, bytes: 1000000000}
    """


def test_index_on_large_existing_table_is_error_and_new_table_is_ok(tmp_path, make_database):
    url = make_database("nivo_lock")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('create table "Big" (id bigint primary key, a text)')
        conn.execute('insert into "Big" select g, g::text from generate_series(1, 5000) g')
        conn.execute('analyze "Big"')
    settings = make_project(tmp_path, [
        'op.create_table("Fresh", sa.Column("id", sa.BigInteger, primary_key=True),'
        ' sa.Column("a", sa.Text))\nop.create_index("Fresh_a_idx", "Fresh", ["a"])',
        'op.create_index("Big_a_idx", "Big", ["a"])',
    ], promotion=POLICY)
    revisions = migrations.revisions(settings.versions_dir)
    findings = lint_findings(settings, revisions, {"staging": Target("staging", url)})
    [finding] = [f for f in findings if f.check == "blocking-lock-on-large-table"]
    assert finding.severity is Severity.ERROR
    assert finding.environment == "staging"
    assert finding.location.object == "Big"
    assert finding.location.file.endswith("r2_revision.py")
    assert "5,000 rows" in finding.message and "SHARE" in finding.message
    assert "create_index_concurrently" in finding.help


def test_small_table_is_ok(tmp_path, make_database):
    url = make_database("nivo_lock")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('create table "Small" (id bigint primary key, a text)')
        conn.execute('analyze "Small"')
    settings = make_project(tmp_path, ['op.create_index("Small_a_idx", "Small", ["a"])'],
                            promotion=POLICY)
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir),
                             {"staging": Target("staging", url)})
    assert [f for f in findings if f.check == "blocking-lock-on-large-table"] == []
