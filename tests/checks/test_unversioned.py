import psycopg
from snapshots import TABLE

from nivomigrate.checks import unversioned
from nivomigrate.engine.adoption import schema_objects


def _objects(make_database, *statements):
    with psycopg.connect(make_database("nivo_check"), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
        return schema_objects(conn)


def test_an_empty_database_is_told_to_apply_and_nothing_blocks(make_database):
    [finding] = unversioned.findings("prod", _objects(make_database), "staging")
    assert not finding.is_blocking
    assert finding.help == "run `nivomigrate apply staging`, then `nivomigrate promote prod`"


def test_tables_without_a_revision_are_told_to_baseline_with_exit_3(make_database):
    [finding] = unversioned.findings("prod", _objects(make_database, TABLE), "staging")
    assert finding.is_blocking and finding.exit_code == 3
    assert "(1 tables" in finding.message and "nivomigrate baseline prod" in finding.help
