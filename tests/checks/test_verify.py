from snapshots import TABLE, snapshot_of

from nivomigrate.checks import verify


def test_equal_schemas_pass(make_database):
    expected = snapshot_of(make_database, TABLE)
    assert verify.findings(snapshot_of(make_database, TABLE), expected, "prod", "staging") == []


def test_a_difference_after_the_run_is_error_with_exit_3(make_database):
    expected = snapshot_of(make_database, TABLE, 'create index "d_p" on "Device" ("projectId")')
    actual = snapshot_of(make_database, TABLE)
    [finding] = verify.findings(actual, expected, "prod", "staging")
    assert finding.is_blocking and finding.exit_code == 3
    assert "index public.d_p only in staging" in finding.message
