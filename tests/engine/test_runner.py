import threading
import time

import psycopg
import pytest
from safety_helpers import make_project, make_table

from nivomigrate import migrations
from nivomigrate.config import Timeouts
from nivomigrate.db import Target
from nivomigrate.engine.runner import apply_revisions
from nivomigrate.errors import DriftError, MigrationError

ADD_COLUMN = 'op.add_column("T", sa.Column("b", sa.Text))'
FAST = Timeouts(lock_timeout_ms=200, statement_timeout_ms=30_000, lock_retries=2)




def _hold_lock(url, seconds, started):
    """Hold ACCESS SHARE on "T" until the migration has waited for it, then `seconds` more
    (so a slow start of the run cannot miss the blocker)."""
    with psycopg.connect(url, application_name="blocker") as conn, \
            psycopg.connect(url, autocommit=True) as watch:
        conn.execute('select count(*) from "T"')
        started.set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not watch.execute(
                "select 1 from pg_stat_activity where wait_event_type = 'Lock' "
                "and application_name like 'nivomigrate%'").fetchone():
            time.sleep(0.02)
        time.sleep(seconds)
        conn.rollback()


def _version(url):
    with psycopg.connect(url) as conn:
        return migrations.current_revision(conn)


def _blocked_apply(tmp_path, url, hold_s, timeouts, bodies):
    settings = make_project(tmp_path, bodies, timeouts=timeouts)
    started = threading.Event()
    blocker = threading.Thread(target=_hold_lock, args=(url, hold_s, started))
    blocker.start()
    started.wait()
    try:
        return apply_revisions(settings, Target("staging", url),
                               migrations.revisions(settings.versions_dir), retry_delay_s=0.2)
    finally:
        blocker.join()


def test_lock_timeout_is_retried_until_the_blocker_ends(tmp_path, make_database):
    url = make_database("nivo_run")
    make_table(url)
    timeouts = Timeouts(lock_timeout_ms=200, statement_timeout_ms=30_000, lock_retries=8)
    [applied] = _blocked_apply(tmp_path, url, 1.0, timeouts, [ADD_COLUMN])
    assert applied.attempts > 1
    assert _version(url) == "r1"


def test_giving_up_names_the_blocker_and_keeps_last_good_revision(tmp_path, make_database):
    url = make_database("nivo_run")
    make_table(url)
    create = 'op.create_table("Other", sa.Column("id", sa.BigInteger, primary_key=True))'
    with pytest.raises(MigrationError) as caught:
        _blocked_apply(tmp_path, url, 3.0, FAST, [create, ADD_COLUMN])
    error = caught.value
    assert error.exit_code == 5
    assert "revision r2 step 1 of 1 (transaction) gave up after 2 lock timeouts" in error.message
    assert "application_name 'blocker'" in error.message
    assert "idle in transaction" in error.message and 'select count(*) from "T"' in error.message
    assert [applied.revision.id for applied in error.result] == ["r1"]
    assert _version(url) == "r1"


def test_sql_error_is_migration_error_at_last_good_revision(tmp_path, make_database):
    url = make_database("nivo_run")
    make_table(url)
    settings = make_project(tmp_path, [ADD_COLUMN, 'op.execute("alter table \\"T\\" add nope")'])
    failed = r"revision r2 step 1 of 1 \(transaction\) failed"
    with pytest.raises(MigrationError, match=failed) as caught:
        apply_revisions(settings, Target("staging", url),
                        migrations.revisions(settings.versions_dir))
    assert [a.revision.id for a in caught.value.result] == ["r1"]
    assert _version(url) == "r1"


def test_edited_applied_step_is_refused_and_the_failed_step_may_change(tmp_path, make_database):
    url = make_database("nivo_run")
    make_table(url)
    body = ('with op.get_context().autocommit_block():\n'
            '    op.execute(\'ALTER TABLE "T" ADD COLUMN "c" TEXT\')\n'
            '    op.execute(\'ALTER TABLE "T" ADD COLUMN "nope" NOSUCHTYPE\')')
    settings = make_project(tmp_path, [body])

    def apply():
        return apply_revisions(settings, Target("staging", url),
                               migrations.revisions(settings.versions_dir))

    with pytest.raises(MigrationError, match=r"step 2 of 2 \(statement\) failed"):
        apply()
    path = next(settings.versions_dir.glob("r1_*.py"))
    applied_text = path.read_text()
    path.write_text(applied_text.replace('"c" TEXT', '"c" VARCHAR'))
    with pytest.raises(DriftError, match="revision r1 step 1 was edited after it was applied"):
        apply()
    path.write_text(applied_text.replace("NOSUCHTYPE", "TEXT"))  # the failed step may change
    apply()
    assert _version(url) == "r1"
    with psycopg.connect(url) as conn:
        assert conn.execute("select array_agg(attempts order by step) from nivomigrate.steps"
                            ).fetchone()[0] == [1, 2]


PERCENT_BODY = '''op.execute("INSERT INTO \\"T\\" (id, a) VALUES (1000, '100%')")
op.execute("COMMENT ON TABLE \\"T\\" IS 'filled to 50%'")
op.bulk_insert(sa.table("T", sa.column("id", sa.BigInteger), sa.column("a", sa.Text)),
               [{"id": 1001, "a": "a%b"}])
op.execute("DO $$ BEGIN EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', 'T', 'a', '5%'); END $$")
'''


def test_percent_signs_run_as_written(tmp_path, make_database):
    """No paramstyle escaping: what a revision writes is what the database stores."""
    url = make_database("nivo_run")
    make_table(url)
    settings = make_project(tmp_path, [PERCENT_BODY])
    [revision] = migrations.revisions(settings.versions_dir)
    [step] = migrations.steps_of(settings.versions_dir, revision)
    assert "'100%'" in step.sql and "%%" not in step.sql
    apply_revisions(settings, Target("staging", url), [revision])
    with psycopg.connect(url) as conn:
        assert conn.execute('select a from "T" where id in (1000, 1001) order by id'
                            ).fetchall() == [("100%",), ("a%b",)]
        assert conn.execute("""select obj_description('"T"'::regclass),
                                      col_description('"T"'::regclass, 2)""").fetchone() \
            == ("filled to 50%", "5%")
        assert conn.execute("select sql from nivomigrate.steps").fetchone()[0] == step.sql


@pytest.mark.parametrize("edit", [("AND false", "OR true"), ("--placeholder", "--place  holder"),
                                  ("--placeholder", "--placeholder -- x")])
def test_step_checksum_covers_literals_and_comments_exactly(tmp_path, edit):
    """An edit inside a literal that holds `--`, or of its spaces, is a different checksum."""
    body = 'op.execute(\'DELETE FROM "T" WHERE "a" = \\\'--placeholder\\\' AND false\')'
    before = make_project(tmp_path / "before", [body])
    after = make_project(tmp_path / "after", [body.replace(*edit)])
    [(old, old_step)], [(new, new_step)] = (
        [(r, migrations.steps_of(s.versions_dir, r)[0])
         for r in migrations.with_sql_checksums(s.versions_dir,
                                                migrations.revisions(s.versions_dir))]
        for s in (before, after))
    assert old_step.sql != new_step.sql
    assert old_step.checksum != new_step.checksum and old.sql_checksum != new.sql_checksum
