"""The HTML report, in a real headless Chromium: no console error, no network, its regions.

The reports come from the real commands on real databases: the repository's revisions, staging
and prod one revision behind with the demo's sample data. Then a blocked plan (prod's promotion
waits for a staging run), apply staging, promote prod, history, coverage.

Regenerate the committed screenshots (docs/report-*.png) after an intended change:
NIVOMIGRATE_UPDATE_SCREENSHOTS=1 pytest tests/render/test_html.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nivomigrate import shadow
from nivomigrate.config import load_settings
from nivomigrate.render.html import render_html
from tests.render.chromium import Chromium, png_size

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
SCREENSHOTS = {"plan": DOCS / "report-plan-blocked.png", "promote": DOCS / "report-promotion.png",
               "history": DOCS / "report-history.png"}
DOCS_HEIGHT = 1800  # the docs show the top of each page: verdict, SQL, footprint, coverage
REGIONS = {
    "plan": ["verdict", "sql", "footprint", "coverage", "tables", "findings"],
    "apply": ["verdict", "run", "footprint", "findings"],
    "promote": ["verdict", "run", "sql", "footprint"],
    "coverage": ["verdict", "coverage", "findings"],
    "history": ["verdict", "history"],
}
_REGIONS_SCRIPT = """JSON.stringify(Object.fromEntries([...document.querySelectorAll('section[id]')]
  .map(s => { const r = s.getBoundingClientRect();
              return [s.id, {top: r.top + scrollY, width: r.width, height: r.height,
                             drawn: s.querySelectorAll('svg rect, svg line, td').length}]; })
  .concat([['badge', getComputedStyle(document.querySelector('.badge')).backgroundColor]])))"""


@pytest.fixture(scope="module")
def reports(canary_admin_url, dropper) -> dict:
    """The reports of plan (blocked), apply, promote, history and coverage, made for real."""
    from nivomigrate.engine.targets import resolve_target
    from nivomigrate.steps.apply import apply_environment
    from nivomigrate.steps.coverage import coverage_report
    from nivomigrate.steps.demo import older_revision, prepare_database
    from nivomigrate.steps.history import show_history
    from nivomigrate.steps.plan import make_plan
    from nivomigrate.steps.promote import promote_environment

    names = {env: shadow.scratch_name(f"nivo_html_{env}") for env in ("staging", "prod")}
    urls = {env: shadow.create_database(canary_admin_url, name) for env, name in names.items()}
    try:
        settings = load_settings(project_root=REPO, environ={
            "STAGING_POSTGRES_URL_NON_POOLING": urls["staging"],
            "PROD_POSTGRES_URL_NON_POOLING": urls["prod"],
            "NIVOMIGRATE_SHADOW_URL": canary_admin_url, "USER": "reviewer"})
        for url in urls.values():
            prepare_database(settings.versions_dir, url, older_revision(settings.versions_dir))
        made = {"plan": make_plan(settings, "all")}
        made["apply"] = apply_environment(settings, "staging")
        made["promote"] = promote_environment(settings, "prod", allow_dirty=True)
        made["history"] = show_history(settings, "all")
        made["coverage"] = coverage_report(settings, resolve_target(settings, "staging"))
        yield made
    finally:
        for name in names.values():
            dropper.drop(canary_admin_url, name)


@pytest.fixture(scope="module")
def browser():
    with Chromium() as chromium:
        yield chromium


def test_the_reports_are_what_the_screenshots_show(reports):
    from nivomigrate.render.json import render_json
    from tests.report_schema import schema_errors

    assert {name: schema_errors(render_json(r)) for name, r in reports.items()} == {
        name: [] for name in reports}
    assert reports["plan"].is_blocked and reports["plan"].exit_code == 1
    assert not reports["promote"].is_blocked and reports["promote"].exit_code == 0
    assert reports["promote"].data["staging_footprint"]  # measured on staging


@pytest.mark.parametrize("command", list(REGIONS))
def test_page_renders_with_no_console_error_no_network_and_its_regions(
        command, reports, browser, tmp_path):
    page = tmp_path / f"{command}.html"
    page.write_text(render_html(reports[command]))
    visit = browser.visit(page, _REGIONS_SCRIPT)
    assert visit.errors == []
    assert visit.requests == [page.resolve().as_uri()]  # the page itself, nothing else
    import json

    regions = json.loads(visit.value)
    for region in REGIONS[command]:
        assert region in regions, f"{command}: no #{region} in {sorted(regions)}"
        assert regions[region]["height"] > 30 and regions[region]["width"] > 600, region
    assert regions["verdict"]["top"] < min(r["top"] for k, r in regions.items()
                                           if k not in ("verdict", "badge"))
    blocked = reports[command].is_blocked
    assert regions["badge"] == ("rgb(207, 34, 46)" if blocked else "rgb(26, 127, 55)")
    width, height = png_size(visit.screenshot)
    assert width == 1280 and height >= sum(r["height"] for k, r in regions.items()
                                           if k != "badge")
    if command in SCREENSHOTS and os.environ.get("NIVOMIGRATE_UPDATE_SCREENSHOTS"):
        SCREENSHOTS[command].write_bytes(browser.screenshot(DOCS_HEIGHT))


def test_pictures_are_drawn_from_the_data(reports, browser, tmp_path):
    """The timeline has a bar per measured statement, a limit line per write-blocking one and
    its lock mode named; the matrix a row per hot query."""
    import json

    from nivomigrate.render.html_charts import WRITE_BLOCKING

    promote = reports["promote"]
    measured = [s for f in promote.data["staging_footprint"] for s in f["statements"]]
    statements = len(measured)
    blocking = sum(any(lock["mode"] in WRITE_BLOCKING for lock in s["locks"]) for s in measured)
    page = tmp_path / "promote.html"
    page.write_text(render_html(promote))
    script = ("JSON.stringify({bars: document.querySelectorAll('#footprint svg rect').length,"
              " limits: document.querySelectorAll('#footprint svg line[stroke-dasharray]')"
              ".length})")
    drawn = json.loads(browser.visit(page, script).value)
    assert drawn["limits"] == blocking and drawn["bars"] >= statements
    assert "ShareUpdateExclusiveLock: reads and writes go on; no limit" in page.read_text()
    coverage = reports["coverage"]
    page = tmp_path / "coverage.html"
    page.write_text(render_html(coverage))
    rows = json.loads(browser.visit(page, "JSON.stringify(document.querySelectorAll("
                                          "'#coverage table.matrix tr').length)").value)
    assert rows == 1 + len(coverage.data["hot_queries"])


def test_committed_screenshots_exist_and_the_readme_shows_them():
    readme = (REPO / "README.md").read_text()
    for path in SCREENSHOTS.values():
        width, height = png_size(path.read_bytes())
        assert width == 1280 and 300 < height <= DOCS_HEIGHT
        assert f"({path.relative_to(REPO)})" in readme


def test_the_offending_statement_is_marked_and_a_finding_for_two_environments_shown_once():
    from nivomigrate.findings import Finding, Location, Report, Severity

    statement = 'CREATE INDEX "Log_tag_idx" ON "Log" ("tag")'
    lint = [Finding("sql-lint", Severity.ERROR, "require-concurrent-index-creation: blocks writes",
                    Location("versions/0003_x.py", 9), help="add CONCURRENTLY",
                    evidence=(("statement", statement),), environment=environment)
            for environment in ("staging", "prod")]
    report = Report("plan", "nivomigrate plan", findings=tuple(lint), data={
        "exit_code": 1, "environments": {name: {"current_revision": "0002", "pending": [
            {"id": "0003", "file": "0003_x.py", "sql": f"SELECT 1;\n{statement};\n"}]}
            for name in ("staging", "prod")}})

    page = render_html(report)

    findings = page[page.index('id="findings"'):]
    assert findings.count("require-concurrent-index-creation: blocks writes") == 1
    assert "staging, prod versions/0003_x.py:9" in findings
    sql = page[page.index('id="sql"'):page.index('id="findings"')]
    assert sql.count("#ffd8d3") == 1  # the CREATE INDEX line, not the SELECT
    assert "▲ line 2" in sql and "[sql-lint]" in sql


def test_the_promotion_page_shows_the_sql_it_ran():
    from nivomigrate.findings import Report

    report = Report("promote", "promote prod: 0001 → 0002 (run #2)", data={
        "exit_code": 0, "environment": "prod", "run_id": 2, "from_revision": "0001",
        "to_revision": "0002", "applied": ["0002"], "sql": [
            {"id": "0002", "file": "0002_x.py", "sql": 'DROP INDEX CONCURRENTLY "Log_idx";\n'}]})

    page = render_html(report)

    assert "SQL it ran" in page and "0002: 0002_x.py (ran on prod)" in page
    assert "Log_idx" in page
