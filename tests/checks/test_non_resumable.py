"""non-resumable-revision: a revision that reads the live connection is named; one made of
statements is not."""

from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.checks import non_resumable
from nivomigrate.checks.revision_sql import render_revision
from nivomigrate.findings import Severity


def _findings(tmp_path, body):
    settings = make_project(tmp_path, [body])
    [revision] = migrations.revisions(settings.versions_dir)
    return non_resumable.run(render_revision(settings.versions_dir, revision),
                             settings.versions_dir)


def test_revision_reading_the_database_is_warned_with_its_line(tmp_path):
    [finding] = _findings(tmp_path, 'if not op.get_context().as_sql:\n'
                                    '    op.get_bind().execute(sa.text("select 1"))')
    assert finding.severity is Severity.WARNING
    assert "one non-resumable step" in finding.message
    source = next((tmp_path / "versions").glob("*.py")).read_text().splitlines()
    assert "as_sql" in source[finding.location.line - 1]


def test_revision_of_statements_and_ops_helpers_is_ok(tmp_path):
    assert _findings(tmp_path, 'op.add_column("T", sa.Column("b", sa.Text))\n'
                               'ops.create_index_concurrently("T_b_idx", "T", [\'"b"\'])') == []
