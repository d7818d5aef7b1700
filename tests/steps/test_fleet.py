"""A fleet of 12 production databases in 3 waves, on real PostgreSQL: the promote gate of each
target, the halt rule, a re-run that promotes only what is behind, and the merged status."""

from __future__ import annotations

import io
import textwrap

import psycopg
import pytest

from nivomigrate import ledger, migrations
from nivomigrate.config import load_settings
from nivomigrate.progress import Progress
from nivomigrate.render import render
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.fleet import fleet_status, plan_fleet, promote_fleet
from tests.report_schema import schema_errors
from tests.steps.conftest import PENDING_REVISION, copy_project

QUIET = Progress(quiet=True)
CANARY = "prod-canary"
WAVE_2 = [f"prod-eu-{n}" for n in range(1, 6)]
WAVE_3 = [f"prod-us-{n}" for n in range(1, 7)]
TARGETS = [CANARY, *WAVE_2, *WAVE_3]
# The revision promoted: a unique index that fails on duplicate display names (precondition).
UNIQUE_INDEX = ('from nivomigrate.ops import create_index_concurrently\n    '
                'create_index_concurrently("Plan_displayName_key", "Plan", ["displayName"], '
                'unique=True)')
DUPLICATES = ('INSERT INTO "Plan" ("id", "name", "displayName", "updatedAt") VALUES '
              "('a', 'a', 'Same', now()), ('b', 'b', 'Same', now())")


def _variable(target: str) -> str:
    return target.upper().replace("-", "_") + "_URL"


def _config(soak_seconds: int = 2) -> str:
    targets = "".join(f'[environments.{t}]\nurl_env = "{_variable(t)}"\n'
                      f'promoted_from = "staging"\n' for t in TARGETS)
    return textwrap.dedent("""\
        versions = "versions"
        policies = "policies"
        models = "nivostack_models"
        [environments.staging]
        url_env = "STAGING_POSTGRES_URL_NON_POOLING"
        """) + targets + textwrap.dedent(f"""\
        [fleets.prod]
        waves = [["{CANARY}"], {WAVE_2!r}, {WAVE_3!r}]
        max_failures = 0
        soak_seconds = {soak_seconds}
        max_parallel = 3
        """).replace("'", '"')


class Fleet:
    """A project copy whose prod is 12 databases made from the head template, and staging."""

    def __init__(self, root, urls, shadow_url):
        self.root, self.urls, self.shadow_url = root, urls, shadow_url

    def settings(self):
        environ = {_variable(t): self.urls[t] for t in TARGETS}
        environ |= {"STAGING_POSTGRES_URL_NON_POOLING": self.urls["staging"],
                    "NIVOMIGRATE_SHADOW_URL": self.shadow_url, "USER": "tester"}
        return load_settings(project_root=self.root, environ=environ)

    def execute(self, target: str, statement: str) -> None:
        with psycopg.connect(self.urls[target], autocommit=True) as conn:
            conn.execute(statement)

    def revision(self, target: str) -> str | None:
        with psycopg.connect(self.urls[target]) as conn:
            return migrations.current_revision(conn)

    def promote_runs(self, target: str) -> list[ledger.Run]:
        with psycopg.connect(self.urls[target]) as conn:
            return [run for run in ledger.runs(conn) if run.kind == "promote"]


@pytest.fixture
def fleet(tmp_path, make_database, head_template, canary_admin_url) -> Fleet:
    urls = {name: make_database("nivo_fleet", template=head_template)
            for name in ("staging", *TARGETS)}
    root = copy_project(tmp_path)
    (root / "nivomigrate.toml").write_text(_config())
    head = migrations.head(root / "versions")
    new = f"{int(head) + 1:04d}"
    (root / "versions" / f"{new}_unique_display_name.py").write_text(
        PENDING_REVISION.format(id=new, down=head, extra=UNIQUE_INDEX))
    return Fleet(root, urls, canary_admin_url)


def test_canary_halts_the_fleet_then_waves_promote_and_status_shows_all_at_head(fleet):
    base = fleet.revision(CANARY)
    fleet.execute(CANARY, DUPLICATES)  # the canary's data only
    applied = apply_environment(fleet.settings(), "staging", progress=QUIET)
    assert applied.exit_code == 0, applied.findings
    head = migrations.head(fleet.root / "versions")

    # The plan: every target's promote gate; only the canary is blocked, by its data.
    plan = plan_fleet(fleet.settings(), "prod", progress=QUIET)
    assert plan.exit_code == 1
    blocked = {t for t, d in plan.data["targets"].items() if d["verdict"] == "blocked"}
    assert blocked == {CANARY}
    assert plan.data["targets"][CANARY]["blocking"] == ["precondition"]
    waves = plan.data["matrix"]["waves"]
    assert [[i["target"] for i in w["include"]] for w in waves] == [[CANARY], WAVE_2, WAVE_3]
    assert waves[1]["include"][0]["url-env"] == "PROD_EU_1_URL"
    assert (plan.data["matrix"]["max-parallel"], plan.data["matrix"]["max-failures"]) == (3, 0)

    # The canary refuses: the fleet halts before wave 2, nothing else changes.
    slept: list[float] = []
    halted = promote_fleet(fleet.settings(), "prod", progress=QUIET, sleep=slept.append)
    assert halted.exit_code == 1
    assert {f.check for f in halted.findings if f.is_blocking} >= {"precondition", "fleet-halt"}
    assert halted.data["failed"] == [CANARY] and slept == []
    assert {t: fleet.revision(t) for t in TARGETS} == dict.fromkeys(TARGETS, base)
    assert all(fleet.promote_runs(t) == [] for t in TARGETS)
    status = fleet_status(fleet.settings(), "prod")
    assert status.data["at_head"] == 0 and status.data["rerun"] == TARGETS
    assert "nivomigrate fleet promote prod" in status.notes[0]

    # A second target of wave 2 has the duplicates too: fixed canary, wave 2 stops there.
    fleet.execute(CANARY, "DELETE FROM \"Plan\" WHERE id = 'b'")
    fleet.execute(WAVE_2[1], DUPLICATES)
    stopped = promote_fleet(fleet.settings(), "prod", progress=QUIET, sleep=slept.append)
    assert stopped.data["failed"] == [WAVE_2[1]] and slept == [2]
    revisions = {t: fleet.revision(t) for t in TARGETS}
    assert revisions == {CANARY: head, WAVE_2[0]: head, **dict.fromkeys(WAVE_2[1:], base),
                         **dict.fromkeys(WAVE_3, base)}
    outcomes = {t: d["outcome"] for t, d in stopped.data["targets"].items()}
    assert outcomes[WAVE_2[2]] == "not run: the wave stopped"
    assert outcomes[WAVE_3[0]] == "not run: halted"

    # Fixed, the re-run promotes only what is behind, wave by wave.
    fleet.execute(WAVE_2[1], "DELETE FROM \"Plan\" WHERE id = 'b'")
    slept.clear()
    finished = promote_fleet(fleet.settings(), "prod", progress=QUIET, sleep=slept.append)
    assert finished.exit_code == 0, [f for f in finished.findings if f.is_blocking]
    assert slept == [2]  # after wave 2 only: wave 1 (the canary, at head) promoted nothing
    assert finished.data["targets"][CANARY]["outcome"] == "at head: skipped"
    assert len(fleet.promote_runs(CANARY)) == len(fleet.promote_runs(WAVE_2[0])) == 1
    started = {t: fleet.promote_runs(t)[0].started_at for t in TARGETS}
    assert max(started[t] for t in WAVE_2) < min(started[t] for t in WAVE_3)
    assert started[CANARY] < min(started[t] for t in WAVE_2)

    status = fleet_status(fleet.settings(), "prod")
    assert status.exit_code == 0 and status.data["at_head"] == 12 and status.data["rerun"] == []
    assert all(t["current_revision"] == head for t in status.data["targets"].values())
    for fmt in ("terminal", "json", "markdown", "html"):
        out = io.StringIO()
        render(status, fmt, out)
        assert all(t in out.getvalue() for t in TARGETS), fmt
    for report in (halted, stopped, finished):  # `fleet promote --format json`'s documents
        out = io.StringIO()
        render(report, "json", out)
        assert schema_errors(out.getvalue()) == []


def test_promotions_share_stagings_lock_and_a_run_on_staging_excludes_them(make_database):
    """A wave's targets promote from staging at once; apply staging waits for all of them."""
    from nivomigrate.errors import LockHeldError

    url = make_database("nivo_fleet_lock")
    with psycopg.connect(url, autocommit=True) as first, \
            psycopg.connect(url, autocommit=True) as second, \
            psycopg.connect(url, autocommit=True) as apply:
        ledger.take_lock(first, "staging", shared=True)
        ledger.take_lock(second, "staging", shared=True)
        with pytest.raises(LockHeldError) as refused:
            ledger.take_lock(apply, "staging")
        assert refused.value.exit_code == 6 and "staging" in refused.value.message
        first.execute("select pg_advisory_unlock_all()")
        second.execute("select pg_advisory_unlock_all()")
        ledger.take_lock(apply, "staging")
        with pytest.raises(LockHeldError):
            ledger.take_lock(first, "staging", shared=True)
