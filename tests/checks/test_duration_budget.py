"""duration-budget: staging's measured statements projected onto prod's sizes, judged by the
window of policies/promotion.yaml in plan and in promote's gate; projected against actual in
the ledger and in history."""

import re

import psycopg
import pytest
import yaml

from nivomigrate import ledger, migrations
from nivomigrate.checks.duration_budget import scaling_law
from nivomigrate.progress import Progress
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.history import show_history
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.promote import promote_environment

QUIET = Progress(quiet=True)
BACKFILL = "op.execute('UPDATE \"Device\" SET \"nickname\" = \"deviceId\"')"
DEVICES = """insert into "Device" (id, "deviceId", platform, "updatedAt")
select 'd' || g, 'device-' || g, 'ios', now() from generate_series(1, %s) g"""


@pytest.mark.parametrize(("sql", "law"), [
    ('CREATE INDEX CONCURRENTLY "i" ON "Log" ("a")', "linear"),
    ('ALTER TABLE "Log" ALTER COLUMN "a" TYPE bigint', "linear"),
    ('ALTER TABLE "Log" VALIDATE CONSTRAINT "c"', "linear"),
    ('UPDATE "Log" SET "a" = 1', "linear"),
    ('ALTER TABLE "Log" ADD COLUMN "x" timestamptz DEFAULT now()', "constant"),
    ('ALTER TABLE "Log" ADD COLUMN "x" float DEFAULT random()', "linear"),
    ('ALTER TABLE "Log" ADD CONSTRAINT "c" CHECK ("a" > 0) NOT VALID', "constant"),
    ('ALTER TABLE "Log" RENAME COLUMN "a" TO "b"', "constant"),
    ('DROP INDEX CONCURRENTLY "i"', "constant"),
])
def test_the_scaling_law_follows_from_the_statement_kind(sql, law):
    assert scaling_law(sql)[1] == law


def _seed(project, staging_rows, prod_rows):
    for env, rows in (("staging", staging_rows), ("prod", prod_rows)):
        with psycopg.connect(project.urls[env], autocommit=True) as conn:
            conn.execute(DEVICES, (rows,))
            conn.execute('analyze "Device"')


def _set_window(project, seconds):
    path = project.root / "policies" / "promotion.yaml"
    policy = yaml.safe_load(path.read_text())
    policy["duration_window_s"] = {"default": 3600, "tables": {"Device": seconds}}
    path.write_text(yaml.safe_dump(policy))


def _projected_s(plan) -> float:
    section = next(s for s in plan.sections if "duration projected" in s.title)
    rows = [row for row in section.rows if "UPDATE" in row[1]]
    assert [row[3] for row in rows] == ["linear"]
    scale = float(re.match(r"×([\d.]+) \(", rows[0][5]).group(1))
    assert scale > 5, rows  # prod's Device is 100 times staging's
    return sum(float(re.match(r"([\d.]+) s", row[6]).group(1)) for row in section.rows)


def test_a_projected_window_overrun_blocks_plan_and_promote_and_passes_once_widened(project):
    _seed(project, staging_rows=200, prod_rows=20_000)
    project.add_revision(extra=BACKFILL)
    assert apply_environment(project.settings(), "staging", progress=QUIET).exit_code == 0
    plan = make_plan(project.settings(), "prod", gate="promote", progress=QUIET)
    projected = _projected_s(plan)
    assert projected > 0 and not [f for f in plan.findings if f.check == "duration-budget"]

    _set_window(project, projected / 2)
    plan = make_plan(project.settings(), "prod", gate="promote", progress=QUIET)
    [overrun] = [f for f in plan.findings if f.check == "duration-budget"]
    assert overrun.is_blocking and '"Device"' in overrun.message and plan.exit_code == 1
    assert any("linear" in value and "×" in value for _, value in overrun.evidence)
    refused = promote_environment(project.settings(), "prod", progress=QUIET)
    assert refused.exit_code == 1
    assert "duration-budget" in {f.check for f in refused.findings if f.is_blocking}
    with psycopg.connect(project.urls["prod"]) as conn:
        assert migrations.current_revision(conn) != project.head()

    _set_window(project, projected * 2)
    promoted = promote_environment(project.settings(), "prod", progress=QUIET)
    assert promoted.exit_code == 0, promoted.findings
    with psycopg.connect(project.urls["prod"]) as conn:
        [entry] = [c for c in ledger.runs(conn)[0].checks if "duration_budget" in c]
    [row] = entry["duration_budget"]
    assert row["revision"] == project.head() and row["actual_s"] > 0
    assert row["projected_s"] == pytest.approx(projected, abs=0.002)  # plan shows ms
    history = show_history(project.settings(), "prod")
    section = next(s for s in history.sections if "projected against actual" in s.title)
    assert section.rows[0][1] == project.head() and section.rows[0][4].startswith("×")


def test_a_catalog_only_statement_is_not_scaled_by_prod_size(project):
    _seed(project, staging_rows=10, prod_rows=20_000)
    project.add_revision()
    assert apply_environment(project.settings(), "staging", progress=QUIET).exit_code == 0
    plan = make_plan(project.settings(), "prod", gate="promote", progress=QUIET)
    section = next(s for s in plan.sections if "duration projected" in s.title)
    [row] = [row for row in section.rows if "ADD COLUMN" in row[1]]
    assert row[3] == "constant" and row[5].startswith("×1.0 (catalog only")
