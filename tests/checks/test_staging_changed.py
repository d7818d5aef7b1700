import psycopg

from nivomigrate import ledger
from nivomigrate.checks import staging_changed
from nivomigrate.progress import Progress
from nivomigrate.steps.apply import apply_environment


def test_staging_as_verified_passes_and_a_hand_made_change_blocks_with_exit_3(project):
    project.add_revision()
    apply_environment(project.settings(), "staging", progress=Progress(quiet=True))
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        run = ledger.last_passed_run(conn, project.head())
        assert staging_changed.findings(conn, project.head(), run) == []
        conn.execute('create index "by_hand" on "Device" ("nickname")')
        [changed] = staging_changed.findings(conn, project.head(), run)
    assert changed.exit_code == 3 and f"run #{run.id}" in changed.message
