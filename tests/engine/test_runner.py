import threading
import time

import psycopg
import pytest
from safety_helpers import make_project, make_table

from nivomigrate import migrations
from nivomigrate.config import Timeouts
from nivomigrate.db import Target
from nivomigrate.engine.runner import apply_revisions
from nivomigrate.errors import MigrationError

ADD_COLUMN = 'op.add_column("T", sa.Column("b", sa.Text))'
FAST = Timeouts(lock_timeout_ms=200, statement_timeout_ms=30_000, lock_retries=2)




def _hold_lock(url, seconds, started):
    with psycopg.connect(url, application_name="blocker") as conn:
        conn.execute('select count(*) from "T"')
        started.set()
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
    [applied] = _blocked_apply(tmp_path, url, 2.0, timeouts, [ADD_COLUMN])
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
    assert "r2 gave up after 2 lock timeouts" in error.message
    assert "application_name 'blocker'" in error.message
    assert "idle in transaction" in error.message and 'select count(*) from "T"' in error.message
    assert [applied.revision.id for applied in error.result] == ["r1"]
    assert _version(url) == "r1"


def test_sql_error_is_migration_error_at_last_good_revision(tmp_path, make_database):
    url = make_database("nivo_run")
    make_table(url)
    settings = make_project(tmp_path, [ADD_COLUMN, 'op.execute("alter table \\"T\\" add nope")'])
    with pytest.raises(MigrationError, match="r2 failed") as caught:
        apply_revisions(settings, Target("staging", url),
                        migrations.revisions(settings.versions_dir))
    assert [a.revision.id for a in caught.value.result] == ["r1"]
    assert _version(url) == "r1"
