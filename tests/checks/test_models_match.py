from snapshots import TABLE, snapshot_of

from nivomigrate.checks import models_match
from nivomigrate.snapshot import compare


def test_agreeing_models_give_nothing(make_database):
    same = snapshot_of(make_database, TABLE)
    assert models_match.findings(compare(same, snapshot_of(make_database, TABLE)), "0002") == []


def test_each_differing_object_is_named_with_its_key(make_database):
    revisions = snapshot_of(make_database, TABLE)
    models = snapshot_of(make_database, TABLE, 'alter table "Device" add column notes text')
    [finding] = models_match.findings(compare(revisions, models), "0002")
    assert finding.is_blocking and finding.location.object == "column public.Device.notes"
    assert "revision -m" in finding.help
