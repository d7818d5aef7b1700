"""Privileges and security settings changed by hand: drift in plan, and a promotion whose
staging differs from prod in them fails verification, each naming the object."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate import migrations
from nivomigrate.engine.build import ensure_template
from nivomigrate.progress import Progress
from nivomigrate.steps.apply import apply_environment
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.promote import promote_environment
from tests.objects_case import add_revision
from tests.steps.conftest import Project, copy_project

QUIET = Progress(quiet=True)

# (what is done by hand in prod, the object named)
HAND_CHANGES = {
    "grant": ('GRANT DELETE ON public."Plan" TO PUBLIC', "grant on table public.Plan to PUBLIC"),
    "revoke": ("REVOKE SELECT ON public.public_plan FROM PUBLIC",
               "grant on view public.public_plan to PUBLIC"),
    "default privilege": ("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES "
                          "TO PUBLIC",
                          "default_privileges for current_user in public on tables to PUBLIC"),
    "security_invoker": ("ALTER VIEW public.public_plan RESET (security_invoker)",
                         "view public.public_plan differs (options"),
    "force rls": ('ALTER TABLE public."Plan" NO FORCE ROW LEVEL SECURITY',
                  "table public.Plan differs (force_row_security"),
    "function body": ("CREATE OR REPLACE FUNCTION public.plan_touch() RETURNS trigger "
                      "LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
                      "function public.plan_touch() differs (definition"),
}


@pytest.fixture
def secured(tmp_path, make_database, canary_admin_url) -> Project:
    """Staging and prod at a head whose last revision adds the Plan objects (no runs yet)."""
    root = copy_project(tmp_path)
    versions = root / "versions"
    add_revision(versions)
    template = ensure_template(canary_admin_url, versions, migrations.head(versions))
    urls = {env: make_database(f"nivo_{env}", template=template) for env in ("staging", "prod")}
    return Project(root, urls, canary_admin_url)


def _by_hand(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def test_untouched_prod_has_no_drift(secured):
    report = make_plan(secured.settings(), "prod", progress=QUIET)

    assert [f for f in report.findings if f.check == "drift"] == []


@pytest.mark.parametrize("change", sorted(HAND_CHANGES))
def test_hand_change_in_prod_is_drift_and_blocks_until_allowed_and_recorded(secured, change):
    sql, named = HAND_CHANGES[change]
    _by_hand(secured.urls["prod"], sql)

    plan = make_plan(secured.settings(), "prod", progress=QUIET)

    assert plan.exit_code == 3
    (drift,) = [f for f in plan.findings if f.check == "drift"]
    assert named in drift.message

    secured.add_revision()
    applied = apply_environment(secured.settings(), "staging", progress=QUIET)
    assert applied.exit_code == 0, applied.findings
    refused = promote_environment(secured.settings(), "prod", progress=QUIET)
    assert refused.exit_code == 3
    assert any(named in f.message for f in refused.findings if f.check == "drift")
    # --allow-drift lets it through (issue 13): the drift is named, recorded and left out of
    # the verification, which still compares everything else with staging.
    promoted = promote_environment(secured.settings(), "prod", allow_drift=True,
                                   progress=QUIET)

    assert promoted.exit_code == 0, promoted.findings
    assert any(named in f.message and "left out of the verification" in f.message
               for f in promoted.findings if f.check == "drift")
