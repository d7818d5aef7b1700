from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.checks import service_still_uses
from nivomigrate.checks.revision_sql import render_revision
from nivomigrate.findings import Severity
from nivomigrate.policies.services import load_service_map

SERVICES = """
    owners: {Log: ingest}
    services:
      ingest:
        tables:
          Log: {reads: [id, message], writes: [id, message]}
      studio:
        tables:
          Log: {reads: ["*"], writes: []}
          Unused: {reads: [], writes: []}
    """


def _run(tmp_path, body):
    settings = make_project(tmp_path, [body], services=SERVICES)
    revision = migrations.revisions(settings.versions_dir)[0]
    services = load_service_map(settings.policies_dir)
    return service_still_uses.run(render_revision(settings.versions_dir, revision), services)


def test_dropping_a_column_a_service_reads_is_error(tmp_path):
    [finding] = _run(tmp_path, 'op.drop_column("Log", "message")')
    assert finding.severity is Severity.ERROR
    assert finding.location.object == "Log.message"
    assert "ingest reads and writes it" in finding.message
    assert "studio reads it" in finding.message
    assert "owner of Log: ingest" in finding.help


def test_renaming_a_column_only_a_star_reader_uses_is_error(tmp_path):
    [finding] = _run(tmp_path, 'op.alter_column("Log", "level", new_column_name="severity")')
    assert "renamed" in finding.message and "studio reads it" in finding.message


def test_dropping_an_unused_table_is_ok(tmp_path):
    assert _run(tmp_path, 'op.drop_table("Unused")') == []


def test_dropping_a_table_a_service_only_deletes_from_is_error(tmp_path):
    services = """
    services:
      control:
        tables:
          Log: {reads: [], writes: [], operations: [delete]}
    """
    settings = make_project(tmp_path, ['op.drop_table("Log")'], services=services)
    revision = migrations.revisions(settings.versions_dir)[0]
    found = service_still_uses.run(render_revision(settings.versions_dir, revision),
                                   load_service_map(settings.policies_dir))
    assert [f.message for f in found] == ['"Log" is dropped while services still use it: '
                                          "control deletes it"]
