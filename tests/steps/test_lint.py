import psycopg
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.db import Target
from nivomigrate.engine.runner import apply_revisions
from nivomigrate.findings import Severity
from nivomigrate.steps.lint import lint_report

BODIES = [
    'op.create_table("T", sa.Column("id", sa.BigInteger, primary_key=True), '
    'sa.Column("a", sa.Text))',
    'op.drop_column("T", "a")',
]


def test_lint_sees_pending_revisions_and_notes_an_unconfigured_environment(
        tmp_path, make_database):
    url = make_database("nivo_lint")
    settings = make_project(tmp_path, BODIES, staging_url=url,
                            promotion='squawk_default: "off"\n')
    first = migrations.revisions(settings.versions_dir)[:1]
    apply_revisions(settings, Target("staging", url), first)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("""insert into "T" values (1, 'kept')""")
    report = lint_report(settings, "all")
    assert report.data["pending"] == {"staging": ["r2"], "prod": ["r1", "r2"]}
    assert any("T_PROD_URL is not set" in note for note in report.notes)
    [finding] = report.findings
    assert finding.check == "destructive-change" and finding.severity is Severity.ERROR
    assert dict(finding.evidence)["staging"].startswith("1 values")
    assert report.is_blocked
