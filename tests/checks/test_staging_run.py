import psycopg

from nivomigrate import ledger, migrations
from nivomigrate.checks import staging_changed, staging_run
from nivomigrate.progress import Progress
from nivomigrate.steps.apply import apply_environment


def _pending(project):
    settings = project.settings()
    return migrations.with_sql_checksums(settings.versions_dir,
                                         migrations.revisions(settings.versions_dir))[-1:]


def test_no_passed_run_blocks_then_a_passed_run_of_the_same_sql_passes(project):
    project.add_revision()
    with psycopg.connect(project.urls["staging"]) as conn:
        [finding] = staging_run.findings(conn, project.head(), _pending(project), None)
    assert finding.is_blocking and "no passed run" in finding.message
    apply_environment(project.settings(), "staging", progress=Progress(quiet=True))
    with psycopg.connect(project.urls["staging"]) as conn:
        run = ledger.last_passed_run(conn, project.head())
        assert staging_run.findings(conn, project.head(), _pending(project), run) == []
        assert staging_changed.findings(conn, project.head(), run) == []


def test_sql_edited_after_staging_ran_it_blocks(project):
    path = project.add_revision()
    apply_environment(project.settings(), "staging", progress=Progress(quiet=True))
    path.write_text(path.read_text().replace('"nickname" TEXT', '"nickname" VARCHAR(40)'))
    with psycopg.connect(project.urls["staging"]) as conn:
        run = ledger.last_passed_run(conn, project.head())
        [edited] = staging_run.findings(conn, project.head(), _pending(project), run)
    assert edited.is_blocking and "is not the SQL that ran on staging" in edited.message


def _legacy_checksum(sql: str) -> str:
    """What nivomigrate recorded before exact checksums (comments and whitespace dropped)."""
    import hashlib
    import re

    return hashlib.sha256(" ".join(re.sub(r"--[^\n]*", "", sql).split()).encode()).hexdigest()


def _record_as_an_earlier_version(project, legacy_sql: str) -> None:
    """Rewrite staging's passed run as an earlier nivomigrate wrote it: `legacy_sql`'s
    normalised checksum (that rendering doubled every %)."""
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute("update nivomigrate.runs set revisions = jsonb_set(revisions, "
                     "'{0,sql_checksum}', to_jsonb(%s::text)) where status = 'passed' "
                     "and jsonb_array_length(revisions) > 0", (_legacy_checksum(legacy_sql),))


def test_a_run_recorded_by_an_earlier_version_passes_when_its_sql_had_no_percent(project):
    project.add_revision()
    apply_environment(project.settings(), "staging", progress=Progress(quiet=True))
    [pending] = _pending(project)
    sql = migrations.render_sql(project.settings().versions_dir, pending).sql
    _record_as_an_earlier_version(project, sql)
    with psycopg.connect(project.urls["staging"]) as conn:
        run = ledger.last_passed_run(conn, project.head())
        assert staging_run.findings(conn, project.head(), [pending], run) == []


def test_a_run_recorded_by_an_earlier_version_with_percent_is_not_the_same_sql(project):
    """Earlier versions ran `100%%` where the revision says `100%`: not the SQL promoted now."""
    project.add_revision(extra="op.execute(\"COMMENT ON TABLE \\\"Device\\\" IS '100%'\")")
    apply_environment(project.settings(), "staging", progress=Progress(quiet=True))
    [pending] = _pending(project)
    sql = migrations.render_sql(project.settings().versions_dir, pending).sql
    _record_as_an_earlier_version(project, sql.replace("%", "%%"))
    with psycopg.connect(project.urls["staging"]) as conn:
        run = ledger.last_passed_run(conn, project.head())
        [finding] = staging_run.findings(conn, project.head(), [pending], run)
    assert "is not the SQL that ran on staging" in finding.message
