"""lock-footprint: measured on staging, projected onto production's sizes, judged by policy."""

from safety_helpers import make_project, make_table

from nivomigrate import migrations
from nivomigrate.checks.lock_footprint import footprint_findings
from nivomigrate.db import Target
from nivomigrate.engine.runner import apply_revisions
from nivomigrate.findings import Severity
from nivomigrate.footprint import HeldLock, StatementFootprint, TableFootprint
from nivomigrate.policies.promotion import PromotionPolicy


def test_footprint_records_rewrite_and_share_lock_projected_on_production(
        tmp_path, make_database):
    staging, production = make_database("nivo_run"), make_database("nivo_prod")
    make_table(staging, rows=2000)
    make_table(production, rows=20000)
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
    log = TableFootprint("Log", rows=10_000, bytes=1_000_000, rewritten=False, scanned=False,
                         production_rows=3_000_000, production_bytes=300_000_000)
    lock = (HeldLock("Log", "AccessExclusiveLock"),)
    not_valid = StatementFootprint('ALTER TABLE "Log" ADD CONSTRAINT c CHECK (x > 0) NOT VALID',
                                   0.002, lock, (log,))
    index = StatementFootprint('CREATE INDEX i ON "Log" ("x")', 0.002,
                               (HeldLock("Log", "ShareLock"),), (log,))
    assert not_valid.projected_s(log) == 0.002
    assert index.projected_s(log) == 0.002 * 300
