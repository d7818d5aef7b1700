import psycopg
from snapshots import TABLE, snapshot_of

from nivomigrate.checks import drift
from nivomigrate.findings import Severity
from nivomigrate.snapshot import take_snapshot


def test_same_schema_is_ok(make_database):
    expected = snapshot_of(make_database, TABLE)
    assert drift.findings(expected, snapshot_of(make_database, TABLE), "0001", "prod") == []


def test_column_added_by_hand_is_error_with_exit_3(make_database):
    expected = snapshot_of(make_database, TABLE)
    actual = snapshot_of(make_database, TABLE, 'alter table "Device" add column notes text')
    [finding] = drift.findings(expected, actual, "0001", "prod")
    assert finding.is_blocking and finding.exit_code == 3
    assert 'column public.Device.notes only in prod' in finding.message
    assert ("difference", "column public.Device.notes only in prod") in finding.evidence


def test_allowed_drift_is_a_warning(make_database):
    expected = snapshot_of(make_database, TABLE)
    actual = snapshot_of(make_database, TABLE, 'create index "d_p" on "Device" ("projectId")')
    [finding] = drift.findings(expected, actual, "0001", "prod", allowed=True)
    assert finding.severity is Severity.WARNING


def test_invalid_index_left_by_an_interrupted_build_is_a_warning(make_database):
    expected = snapshot_of(make_database, TABLE)
    url = make_database("nivo_check")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLE)
        conn.execute("""insert into "Device" values (1, 'p'), (2, 'p')""")
        try:
            conn.execute('create unique index concurrently "d_u" on "Device" ("projectId")')
        except psycopg.errors.UniqueViolation:
            pass
        actual = take_snapshot(conn)
    [finding] = drift.findings(expected, actual, "0001", "prod")
    assert finding.severity is Severity.WARNING and "INVALID index public.d_u" in finding.message
    assert 'DROP INDEX CONCURRENTLY "public"."d_u"' in finding.help
