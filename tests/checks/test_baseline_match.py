from snapshots import TABLE, snapshot_of

from nivomigrate.checks import baseline_match
from nivomigrate.findings import Severity
from nivomigrate.snapshot import compare


def test_a_matching_database_gives_nothing(make_database):
    same = snapshot_of(make_database, TABLE)
    assert baseline_match.findings("prod", "revision 0001",
                                   compare(same, snapshot_of(make_database, TABLE))) == []


def test_a_hand_made_index_blocks_adoption_with_exit_3(make_database):
    revision = snapshot_of(make_database, TABLE)
    database = snapshot_of(make_database, TABLE, 'create index "d_p" on "Device" ("projectId")')
    [finding] = baseline_match.findings("prod", "revision 0001", compare(revision, database))
    assert finding.exit_code == 3 and finding.location.object == "index public.d_p"
    assert "--write-revision" in finding.help
    [info] = baseline_match.findings("prod", "revision 0001", compare(revision, database),
                                     Severity.INFO)
    assert not info.is_blocking
