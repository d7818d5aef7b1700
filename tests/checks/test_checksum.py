from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.checks import checksum


def _chain(tmp_path):
    settings = make_project(tmp_path, ['op.execute("select 1")', 'op.execute("select 2")'])
    chain = migrations.with_sql_checksums(settings.versions_dir,
                                          migrations.revisions(settings.versions_dir))
    accepted = {r.id: {"file_checksum": r.file_checksum, "sql_checksum": r.sql_checksum}
                for r in chain}
    return settings, chain, accepted


def test_unedited_applied_revisions_pass(tmp_path):
    _, chain, accepted = _chain(tmp_path)
    assert checksum.findings(chain, accepted, chain[-1].id, "staging") == []


def test_an_edited_applied_revision_is_error_with_exit_3(tmp_path):
    settings, chain, accepted = _chain(tmp_path)
    first = chain[0]
    first.path.write_text(first.path.read_text().replace("select 1", "select 10"))
    edited = migrations.with_sql_checksums(settings.versions_dir,
                                           migrations.revisions(settings.versions_dir))
    [finding] = checksum.findings(edited, accepted, chain[-1].id, "staging")
    assert finding.exit_code == 3 and finding.location.object == first.id
    assert "its SQL changed" in finding.message


def test_a_revision_not_applied_yet_may_change(tmp_path):
    settings, chain, accepted = _chain(tmp_path)
    last = chain[-1]
    last.path.write_text(last.path.read_text().replace("select 2", "select 20"))
    edited = migrations.revisions(settings.versions_dir)
    assert checksum.findings(edited, accepted, chain[0].id, "staging") == []
