"""The staging-first path on real databases: plan, apply staging, promote prod, and each
refusal of the gate with its exit code."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate import ledger, migrations
from nivomigrate.errors import LockHeldError, MigrationError
from nivomigrate.progress import Progress
from nivomigrate.snapshot import take_snapshot
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.promote import promote_environment
from nivomigrate.steps.repair import repair_checksums

QUIET = Progress(quiet=True)


def _apply(project, **options):
    return apply_environment(project.settings(), "staging", progress=QUIET, **options)


def _promote(project, **options):
    return promote_environment(project.settings(), "prod", progress=QUIET, **options)


def _checks(report) -> set[str]:
    return {f.check for f in report.findings if f.is_blocking}


def _fingerprint(url: str) -> str:
    with psycopg.connect(url) as conn:
        return take_snapshot(conn).fingerprint


def _revision(url: str) -> str | None:
    with psycopg.connect(url) as conn:
        return migrations.current_revision(conn)


def test_plan_apply_promote_leaves_staging_and_prod_equal(project):
    project.add_revision()
    plan = make_plan(project.settings(), "all", gate="promote", progress=QUIET)
    assert plan.exit_code == 1
    assert "staging-run" in _checks(plan)

    applied = _apply(project)
    assert applied.exit_code == 0, applied.findings
    assert applied.data["applied"] == [project.head()]

    plan = make_plan(project.settings(), "all", gate="promote", progress=QUIET)
    assert plan.exit_code == 0, plan.findings

    promoted = _promote(project)
    assert promoted.exit_code == 0, promoted.findings
    assert _fingerprint(project.urls["staging"]) == _fingerprint(project.urls["prod"])
    with psycopg.connect(project.urls["prod"]) as conn:
        run = ledger.runs(conn)[0]
    assert (run.kind, run.status) == ("promote", "passed")
    assert run.staging_run_id == applied.data["run_id"]
    assert run.restore_point["wal_lsn"]
    assert run.fingerprint_after == _fingerprint(project.urls["staging"])


def test_promote_without_a_staging_run_is_refused(project):
    project.add_revision()
    report = _promote(project)
    assert report.exit_code == 1
    assert "staging has no passed run" in report.findings[-1].message
    assert _revision(project.urls["prod"]) != migrations.head(project.root / "versions")


def test_failed_staging_run_is_recorded_and_blocks_promotion(project):
    project.add_revision(extra="op.execute('SELECT * FROM \"NoSuchTable\"')")
    before = _revision(project.urls["staging"])
    with pytest.raises(MigrationError) as failure:
        _apply(project)
    assert failure.value.exit_code == 5
    assert _revision(project.urls["staging"]) == before
    with psycopg.connect(project.urls["staging"]) as conn:
        run = ledger.runs(conn)[0]
    assert run.status == "failed" and "NoSuchTable" in run.reason
    report = _promote(project)
    assert report.exit_code == 1
    assert "failed" in " ".join(f.message for f in report.findings)


def test_staging_changed_after_its_run_blocks_promotion(project):
    project.add_revision()
    assert _apply(project).exit_code == 0
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute('CREATE INDEX "Device_nickname_idx" ON "Device" ("nickname")')
    report = _promote(project)
    assert report.exit_code == 3
    assert "staging-changed" in _checks(report)


def test_edited_revision_blocks_until_repaired(project):
    path = project.add_revision()
    assert _apply(project).exit_code == 0
    path.write_text(path.read_text().replace("Add a nickname", "Add a nickname (edited)"))
    blocked = _apply(project)
    assert blocked.exit_code == 3
    assert "checksum" in _checks(blocked)
    repaired = repair_checksums(project.settings(), "staging", "docstring only")
    assert repaired.data["revisions"] == [path.name.split("_")[0]]
    assert _apply(project).exit_code == 0
    with psycopg.connect(project.urls["staging"]) as conn:
        kinds = [run.kind for run in ledger.runs(conn)]
    assert "repair" in kinds


def test_drift_in_prod_blocks_promotion(project):
    project.add_revision()
    assert _apply(project).exit_code == 0
    with psycopg.connect(project.urls["prod"], autocommit=True) as conn:
        conn.execute('ALTER TABLE "Log" ADD COLUMN "handMade" TEXT')
    report = _promote(project)
    assert report.exit_code == 3
    drift = [f for f in report.findings if f.check == "drift"]
    assert drift and "handMade" in drift[0].message


def test_concurrent_run_names_the_holder(project):
    project.add_revision()
    with psycopg.connect(project.urls["prod"], autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(%s)", (ledger.LOCK_KEY,))
        pid = holder.info.backend_pid
        with pytest.raises(LockHeldError) as refused:
            _promote(project)
    assert refused.value.exit_code == 6
    assert f"pid {pid}" in refused.value.message


def test_merge_gate_passes_for_a_good_change_before_any_staging_run(project):
    project.add_revision()
    report = make_plan(project.settings(), "all", gate="merge", progress=QUIET)
    blocking = [f for f in report.findings if f.is_blocking
                and f.check != "models-match-revisions"]
    assert blocking == []


def test_dry_run_changes_nothing(project):
    project.add_revision()
    assert _apply(project).exit_code == 0
    before = _fingerprint(project.urls["prod"])
    report = _promote(project, dry_run=True)
    assert report.exit_code == 0 and report.data["pending"]
    assert _fingerprint(project.urls["prod"]) == before
    with psycopg.connect(project.urls["prod"]) as conn:
        assert not ledger.has_ledger(conn)


def test_plan_reports_the_footprint_measured_on_staging(project):
    project.add_revision()
    assert _apply(project).exit_code == 0
    plan = make_plan(project.settings(), "prod", gate="promote", progress=QUIET)
    section = next(s for s in plan.sections if "lock footprint" in s.title)
    statement = next(row for row in section.rows if "nickname" in row[1])
    assert "AccessExclusiveLock" in statement[3] and "Device" in statement[3]


def test_repaired_sql_change_on_staging_never_reaches_prod(project):
    path = project.add_revision()
    assert _apply(project).exit_code == 0
    path.write_text(path.read_text().replace(
        "    pass\n", "    op.execute('DROP TABLE \"SystemConfiguration\"')\n"))
    assert _apply(project).exit_code == 3
    repair_checksums(project.settings(), "staging", "looked harmless")
    report = _promote(project)
    assert report.exit_code == 1
    assert "not the SQL that ran on staging" in " ".join(f.message for f in report.findings)
    assert _revision(project.urls["prod"]) != migrations.head(project.root / "versions")


def test_repaired_cosmetic_edit_still_promotes(project):
    path = project.add_revision()
    assert _apply(project).exit_code == 0
    path.write_text(path.read_text().replace("Add a nickname", "Add a nickname (reworded)"))
    repair_checksums(project.settings(), "staging", "docstring only")
    assert _promote(project).exit_code == 0


def test_plan_names_a_revision_that_fails_in_the_shadow_database(project):
    project.add_revision(extra="op.execute('SELECT * FROM \"NoSuchTable\"')")
    with pytest.raises(MigrationError) as failure:
        make_plan(project.settings(), "all", gate="merge", progress=QUIET)
    assert failure.value.exit_code == 5
    assert f"revision {project.head()} fails in the shadow database" in failure.value.message
    assert "NoSuchTable" in failure.value.message
