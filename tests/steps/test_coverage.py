"""coverage: the report on the NivoStack baseline (Prisma's DDL) and at head, in all formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import psycopg
import pytest

from nivomigrate.config import Settings
from nivomigrate.db import Target, connect
from nivomigrate.engine.build import ensure_template
from nivomigrate.engine.coverage import coverage_findings
from nivomigrate.findings import Severity
from nivomigrate.render import render
from nivomigrate.steps.coverage import coverage_report

REPO = Path(__file__).resolve().parents[2]
PRISMA_SQL = REPO / "tests" / "fixtures" / "prisma" / "nivostack_prisma.sql"


def _settings(policies: Path = REPO / "policies") -> Settings:
    return Settings(root=REPO, versions_dir=REPO / "versions", policies_dir=policies,
                    environments={})


@pytest.fixture(scope="module")
def prisma_report(canary_admin_url):
    """The coverage report of a database built with Prisma's own DDL (the baseline)."""
    from nivomigrate import shadow

    name = shadow.scratch_name("nivo_cov_prisma")
    url = shadow.create_database(canary_admin_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(PRISMA_SQL.read_text())
        yield coverage_report(_settings(), Target("staging", url))
    finally:
        shadow.drop_database(canary_admin_url, name)


def _rows(report) -> dict[str, tuple[str, ...]]:
    return {row[0].removesuffix(" (optional)"): row for row in report.sections[0].rows}


def test_baseline_names_the_real_gaps_and_blocks(prisma_report):
    rows = _rows(prisma_report)
    assert rows["studio_logs_list"][3] == "GAP"
    assert rows["ingest_project_by_api_key"][3] == "Project_apiKey_key"
    assert prisma_report.exit_code == 1 and prisma_report.is_blocked
    fixes = {q["name"]: q["fix"] for q in prisma_report.data["hot_queries"]}
    assert fixes["studio_logs_list"] == ('CREATE INDEX CONCURRENTLY IF NOT EXISTS '
                                         '"Log_projectId_timestamp_idx" ON "Log" '
                                         '("projectId", "timestamp");')
    errors = [f for f in prisma_report.findings
              if f.severity is Severity.ERROR and f.check == "hot-query-index"]
    assert any("studio_logs_list" in f.message and fixes["studio_logs_list"] in f.help
               for f in errors)


def test_baseline_names_the_redundant_indexes(prisma_report):
    redundant = {r["index"]: r["kept"] for r in prisma_report.data["redundant_indexes"]}
    assert redundant["Session_sessionToken_idx"] == "Session_sessionToken_key"
    assert redundant["Device_projectId_idx"].startswith("Device_projectId_")
    assert len(redundant) == 30


@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown"])
def test_report_renders_gaps_and_redundant_indexes(prisma_report, fmt):
    out = io.StringIO()
    render(prisma_report, fmt, out)
    text = out.getvalue()
    for expected in ("studio_logs_list", "Log_projectId_timestamp_idx",
                     "Session_sessionToken_idx"):
        assert expected in text
    if fmt == "json":
        document = json.loads(text)
        assert document["command"] == "coverage" and document["verdict"] == "blocked"
        by_name = {q["name"]: q for q in document["data"]["hot_queries"]}
        assert by_name["ingest_project_by_api_key"]["plan"]["served"] is True
    if fmt == "markdown":
        assert "### Hot queries" in text and "```sql" in text and "### Redundant indexes" in text


def test_head_closes_every_required_gap(make_database, canary_admin_url):
    url = make_database("nivo_cov_head", template=ensure_template(
        canary_admin_url, REPO / "versions", "0002"))
    report = coverage_report(_settings(), Target("staging", url))
    required = [q for q in report.data["hot_queries"] if q["required"]]
    assert len(required) > 20
    assert [q["name"] for q in required if not q["covered"]] == []
    assert report.data["redundant_indexes"] == []
    assert report.exit_code == 0 and not report.is_blocked


POLICY = """\
version: 1
queries:
- {name: required_one, service: ingest, table: Log, equality: [level], required: true}
- {name: optional_one, service: studio, table: Log, equality: [tag], required: false}
"""


def test_findings_for_the_gate_grade_required_and_optional_gaps(make_database, tmp_path):
    (tmp_path / "hot_queries.yaml").write_text(POLICY)
    url = make_database("nivo_cov_gate")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('CREATE TABLE "Log" (id TEXT PRIMARY KEY, level TEXT, tag TEXT)')
    with connect(Target("staging", url), writes=False) as conn:
        findings = coverage_findings(_settings(tmp_path), conn)
    severities = {f.location.object: f.severity for f in findings
                  if f.check == "hot-query-index"}
    assert severities == {"Log (required_one)": Severity.ERROR,
                          "Log (optional_one)": Severity.WARNING}
