"""One gate: apply refuses what the static checks block, and `plan --gate promote`,
`promote --dry-run` and `promote` give the same verdict on the same revision."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest

from nivomigrate.progress import Progress
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.promote import promote_environment
from tests.reliability.helpers import state, write_revision

QUIET = Progress(quiet=True)
# Prod's SystemConfiguration holds 500 rows (analysed), staging's none: with a large-table
# limit of 100 rows, the table is large on prod only.
SEED_PROD = """
insert into "SystemConfiguration" (id, category, key, "updatedBy", "updatedAt")
select 'c' || g, 'general', 'k' || g, 'admin', now() from generate_series(1, 500) g;
analyze "SystemConfiguration";
"""
DROP_IN_USE = 'op.execute(\'ALTER TABLE "Crash" DROP COLUMN "stackTrace"\')'
DROP_ACK = ('# nivomigrate: ack destructive-change "Crash.stackTrace" -- copied to Archive\n'
            '# nivomigrate: ack service-still-uses "Crash.stackTrace" -- ingest no longer '
            'writes it\n')
PLAIN_INDEX = ('op.execute(\'CREATE INDEX "SystemConfiguration_updatedBy_idx" '
               'ON "SystemConfiguration" ("updatedBy")\')')
INDEX_ACK = ('# nivomigrate: ack require-concurrent-index-creation "SystemConfiguration" -- '
             'maintenance window\n'
             '# nivomigrate: ack blocking-lock-on-large-table "SystemConfiguration" -- '
             'maintenance window\n')
NOT_NULL = ('op.execute(\'ALTER TABLE "SystemConfiguration" ALTER COLUMN "updatedBy" '
            'SET NOT NULL\')')
NOT_NULL_ACK = ('# nivomigrate: ack adding-not-nullable-field "SystemConfiguration" -- '
                'maintenance window\n'
                '# nivomigrate: ack blocking-lock-on-large-table "SystemConfiguration" -- '
                'maintenance window\n')


@dataclass(frozen=True)
class Case:
    body: str
    apply_code: int           # what `apply staging` exits with
    promote_code: int         # what plan --gate promote, promote --dry-run and promote exit with
    blocking: frozenset[str]  # the static checks that block promotion (besides staging-run)
    squawk_index: str = "block"


CASES = {
    "drop-column-in-use": Case(DROP_IN_USE, 1, 1,
                               frozenset({"destructive-change", "service-still-uses"})),
    "drop-column-in-use-acknowledged": Case(DROP_ACK + DROP_IN_USE, 0, 0, frozenset()),
    "plain-index-on-big-table": Case(PLAIN_INDEX, 1, 1,
                                     frozenset({"sql-lint", "blocking-lock-on-large-table"})),
    "plain-index-on-big-table-acknowledged": Case(INDEX_ACK + PLAIN_INDEX, 0, 0, frozenset()),
    "not-null-without-online-helper": Case(NOT_NULL, 1, 1,
                                           frozenset({"sql-lint",
                                                      "blocking-lock-on-large-table"})),
    "not-null-without-online-helper-acknowledged": Case(NOT_NULL_ACK + NOT_NULL, 0, 0,
                                                        frozenset()),
    # squawk's rule at `warn`: staging (small) passes; prod's own size blocks the promotion.
    "plain-index-big-on-prod-only": Case(PLAIN_INDEX, 0, 1,
                                         frozenset({"blocking-lock-on-large-table"}),
                                         squawk_index="warn"),
}


def _policy(project, case: Case) -> None:
    path = project.root / "policies" / "promotion.yaml"
    text = path.read_text().replace("rows: 1000000", "rows: 100")
    text = text.replace("require-concurrent-index-creation: block",
                        f"require-concurrent-index-creation: {case.squawk_index}")
    path.write_text(text)


def _blocking(report, *, without: tuple[str, ...] = ("staging-run",)) -> set[str]:
    return {f.check for f in report.findings if f.is_blocking and f.check not in without}


@pytest.mark.parametrize("name", list(CASES))
def test_apply_refuses_and_plan_dry_run_promote_agree(project, name):
    case = CASES[name]
    _policy(project, case)
    with psycopg.connect(project.urls["prod"], autocommit=True) as conn:
        conn.execute(SEED_PROD)
    revision = write_revision(project, case.body, name=name.replace("-", "_"))
    before = state(project)

    applied = apply_environment(project.settings(), "staging", progress=QUIET)
    assert applied.exit_code == case.apply_code, applied.findings
    if case.apply_code:
        assert applied.data["run_id"] is None and applied.data["applied"] == []
        assert state(project)["staging"] == before["staging"]  # revision, schema, ledger

    plan = make_plan(project.settings(), "prod", gate="promote", progress=QUIET)
    dry_run = promote_environment(project.settings(), "prod", dry_run=True, progress=QUIET)
    promoted = promote_environment(project.settings(), "prod", progress=QUIET)
    verdicts = [report.exit_code for report in (plan, dry_run, promoted)]
    assert verdicts == [case.promote_code] * 3, [plan.findings, dry_run.findings]
    assert _blocking(plan) == _blocking(dry_run) == _blocking(promoted) == case.blocking
    if case.promote_code:
        assert state(project)["prod"] == before["prod"]
        assert "would apply" not in dry_run.title
    else:
        assert promoted.data["applied"] == [revision]
        acknowledged = [f for f in promoted.findings if "(acknowledged" in f.message]
        assert acknowledged and not any(f.is_blocking for f in acknowledged)
