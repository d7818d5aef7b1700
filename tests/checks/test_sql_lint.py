from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.checks import sql_lint
from nivomigrate.checks.revision_sql import apply_annotations, render_revision
from nivomigrate.findings import Severity
from nivomigrate.policies.promotion import load_promotion_policy

CREATE = ('op.create_table("T", sa.Column("id", sa.BigInteger, primary_key=True), '
          'sa.Column("a", sa.Text))')
PLAIN_INDEX = 'op.create_index("T_a_idx", "T", ["a"])'


def _lint(tmp_path, level, body=PLAIN_INDEX):
    settings = make_project(tmp_path, [CREATE, body], promotion=f"""
        squawk_default: "off"
        squawk:
          require-concurrent-index-creation: {level}
        """)
    revision = migrations.revisions(settings.versions_dir)[1]
    rendered = render_revision(settings.versions_dir, revision)
    policy = load_promotion_policy(settings.policies_dir)
    return rendered, sql_lint.run(rendered, policy)


def test_blocked_rule_is_error_at_the_op_line(tmp_path):
    rendered, findings = _lint(tmp_path, "block")
    assert [(f.severity, dict(f.evidence)["rule"]) for f in findings] == [
        (Severity.ERROR, "require-concurrent-index-creation")]
    line = findings[0].location.line
    assert "op.create_index" in rendered.source[line - 1]
    assert findings[0].location.object == "T"


def test_warned_rule_is_warning(tmp_path):
    _, findings = _lint(tmp_path, "warn")
    assert [f.severity for f in findings] == [Severity.WARNING]


def test_rule_turned_off_is_dropped(tmp_path):
    _, findings = _lint(tmp_path, "off")
    assert findings == []


def test_index_on_table_created_in_same_revision_is_ok(tmp_path):
    settings = make_project(tmp_path, [CREATE + "\n" + PLAIN_INDEX],
                            promotion="squawk: {require-concurrent-index-creation: block}\n")
    revision = migrations.revisions(settings.versions_dir)[0]
    findings = sql_lint.run(render_revision(settings.versions_dir, revision),
                            load_promotion_policy(settings.policies_dir))
    assert not [f for f in findings if f.severity is Severity.ERROR]


def test_waived_rule_becomes_info(tmp_path):
    body = ('# nivomigrate: waive require-concurrent-index-creation "T" -- table is tiny\n'
            + PLAIN_INDEX)
    rendered, findings = _lint(tmp_path, "block", body)
    [finding] = apply_annotations(rendered, findings)
    assert finding.severity is Severity.INFO
    assert "waived: table is tiny" in finding.message


def test_online_index_helper_renders_and_passes(tmp_path):
    body = 'ops.create_index_concurrently("T_a_idx", "T", [\'"a"\'])'
    _, findings = _lint(tmp_path, "block", body)
    assert findings == []
