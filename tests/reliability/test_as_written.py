"""What runs is what was written and what staging ran: `%` reaches the databases as written
(no paramstyle escaping), and a revision edited after staging ran it is refused by `promote`
before prod changes, even when the edit hides inside a literal that holds `--`."""

from __future__ import annotations

import psycopg

from tests.reliability.helpers import current_revision, ledger_rows, state, write_revision

PERCENT = '''
op.create_table("Note", sa.Column("id", sa.Text, primary_key=True),
                sa.Column("body", sa.Text))
op.execute("""INSERT INTO "Note" (id, body) VALUES ('a', '100%')""")
op.bulk_insert(sa.table("Note", sa.column("id", sa.Text), sa.column("body", sa.Text)),
               [{"id": "b", "body": "50% off"}])
op.execute("""COMMENT ON TABLE "Note" IS 'usage at 100%'""")
# nivomigrate: ack dynamic-sql "DO" -- format() builds a COMMENT, nothing else
op.execute("""DO $$ BEGIN EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', 'Note', 'body',
    'percent: %'); END $$""")
'''
PLACEHOLDER_DELETE = (
    '''op.execute("""DELETE FROM "Log" WHERE "tag" = '--placeholder' AND false""")''')
LOG_ROWS = 1000


def _notes(url: str) -> tuple:
    with psycopg.connect(url) as conn:
        rows = conn.execute('select id, body from "Note" order by id').fetchall()
        comments = conn.execute("""select obj_description('"Note"'::regclass),
                                          col_description('"Note"'::regclass, 2)""").fetchone()
    return rows, comments


def test_percent_signs_reach_staging_and_prod_as_written(project, cli):
    write_revision(project, PERCENT, name="percent", imports="import sqlalchemy as sa")
    applied = cli(project, "apply", "staging")
    assert applied.code == 0, applied
    promoted = cli(project, "promote", "prod")
    assert promoted.code == 0, promoted
    for env in ("staging", "prod"):
        assert _notes(project.urls[env]) == (
            [("a", "100%"), ("b", "50% off")], ("usage at 100%", "percent: %")), env


def _seed_log(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set session_replication_role = replica")  # no Project row needed
        conn.execute('insert into "Log" (id, "projectId", message, tag) select '
                     "'log' || g, 'none', 'm', 'keep' from generate_series(1, %s) g",
                     (LOG_ROWS,))


def _log_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute('select count(*) from "Log"').fetchone()[0]


def test_delete_edited_inside_a_dashed_literal_after_staging_is_refused_before_prod_changes(
        project, cli):
    """Staging ran `... = '--placeholder' AND false`; the file now says `OR true`: checksums
    that dropped `--` to the end of the line saw no change, and prod lost every row."""
    for url in project.urls.values():
        _seed_log(url)
    revision = write_revision(project, PLACEHOLDER_DELETE, name="placeholder_delete")
    applied = cli(project, "apply", "staging")
    assert applied.code == 0, applied
    assert _log_rows(project.urls["staging"]) == LOG_ROWS
    path = next((project.root / "versions").glob(f"{revision}_*.py"))
    path.write_text(path.read_text().replace("AND false", "OR true"))
    before = state(project)
    refused = cli(project, "promote", "prod")
    assert refused.code == 3, refused  # an edited revision (checksum) wins over staging-run
    assert f"revision {revision} step 1 is not the SQL that ran on staging" in refused.stdout
    assert state(project) == before  # prod's revision, schema and ledger: nothing changed
    assert _log_rows(project.urls["prod"]) == LOG_ROWS
    assert current_revision(project.urls["prod"]) != revision
    assert all(row[1] != "promote" for row in ledger_rows(project.urls["prod"]))
