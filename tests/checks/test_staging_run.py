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
