import threading
import time

import psycopg
import pytest
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.config import Timeouts
from nivomigrate.db import Target
from nivomigrate.errors import MigrationError
from nivomigrate.findings import Severity
from nivomigrate.promotion_policy import PromotionPolicy
from nivomigrate.steps.runner import apply_revisions, footprint_findings

ADD_COLUMN = 'op.add_column("T", sa.Column("b", sa.Text))'
FAST = Timeouts(lock_timeout_ms=200, statement_timeout_ms=30_000, lock_retries=2)


def _table(url, rows=100):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('create table "T" (id bigint primary key, a text)')
        conn.execute('insert into "T" select g, md5(g::text) from generate_series(1, %s) g',
                     (rows,))
        conn.execute('analyze "T"')


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
    _table(url)
    timeouts = Timeouts(lock_timeout_ms=200, statement_timeout_ms=30_000, lock_retries=8)
    [applied] = _blocked_apply(tmp_path, url, 2.0, timeouts, [ADD_COLUMN])
    assert applied.attempts > 1
    assert _version(url) == "r1"


def test_giving_up_names_the_blocker_and_keeps_last_good_revision(tmp_path, make_database):
    url = make_database("nivo_run")
    _table(url)
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
    _table(url)
    settings = make_project(tmp_path, [ADD_COLUMN, 'op.execute("alter table \\"T\\" add nope")'])
    with pytest.raises(MigrationError, match="r2 failed") as caught:
        apply_revisions(settings, Target("staging", url),
                        migrations.revisions(settings.versions_dir))
    assert [a.revision.id for a in caught.value.result] == ["r1"]
    assert _version(url) == "r1"


def test_footprint_records_rewrite_and_share_lock_projected_on_production(
        tmp_path, make_database):
    staging, production = make_database("nivo_run"), make_database("nivo_prod")
    _table(staging, rows=2000)
    _table(production, rows=20000)
    settings = make_project(tmp_path, [
        'op.add_column("T", sa.Column("r", sa.Float, server_default=sa.text("random()")))',
        'op.create_index("T_a_idx", "T", ["a"])',
    ])
    applied = apply_revisions(settings, Target("staging", staging),
                              migrations.revisions(settings.versions_dir),
                              measure_footprint=True, production=Target("prod", production))
    [rewrite] = applied[0].footprint
    assert ("T", "AccessExclusiveLock") in [(lock.relation, lock.mode) for lock in rewrite.locks]
    [table] = rewrite.tables
    assert table.rewritten and table.rows == 2000
    assert table.production_rows == 20000 and table.scale > 5
    [index] = applied[1].footprint
    assert ("T", "ShareLock") in [(lock.relation, lock.mode) for lock in index.locks]
    assert not index.tables[0].rewritten
    assert index.projected_s(index.tables[0]) > index.duration_s

    strict = PromotionPolicy(max_lock_hold_ms=60_000, max_rewrite_bytes=1000)
    found = footprint_findings(applied, strict)
    severities = [(f.severity, f.message.split(" ")[0]) for f in found]
    assert severities == [(Severity.ERROR, "the"), (Severity.WARNING, "ShareLock")]
    no_time = PromotionPolicy(max_lock_hold_ms=0, max_rewrite_bytes=1 << 40)
    assert {f.severity for f in footprint_findings(applied, no_time)} == {Severity.ERROR}


def test_catalog_only_statements_are_not_projected_by_size():
    from nivomigrate.steps.runner import HeldLock, StatementFootprint, TableFootprint

    log = TableFootprint("Log", rows=10_000, bytes=1_000_000, rewritten=False, scanned=False,
                         production_rows=3_000_000, production_bytes=300_000_000)
    lock = (HeldLock("Log", "AccessExclusiveLock"),)
    not_valid = StatementFootprint('ALTER TABLE "Log" ADD CONSTRAINT c CHECK (x > 0) NOT VALID',
                                   0.002, lock, (log,))
    index = StatementFootprint('CREATE INDEX i ON "Log" ("x")', 0.002,
                               (HeldLock("Log", "ShareLock"),), (log,))
    assert not_valid.projected_s(log) == 0.002
    assert index.projected_s(log) == 0.002 * 300
