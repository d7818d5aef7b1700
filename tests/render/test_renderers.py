"""Renderers are pure functions over one Report, compared with committed expected files.

Regenerate after an intended change: NIVOMIGRATE_UPDATE_EXPECTED=1 pytest tests/render
"""

import io
import os
from pathlib import Path

import pytest

from nivomigrate.findings import Finding, Location, Report, Section, Severity
from nivomigrate.render import render

EXPECTED = Path(__file__).parent / "expected"

REPORT = Report(
    command="plan",
    title="nivomigrate plan (promote gate): head 0002",
    findings=(
        Finding("staging-run", Severity.ERROR, "staging has no passed run at revision 0002",
                Location(object="staging"), help="run `nivomigrate apply staging`",
                environment="staging"),
        Finding("require-concurrent-index-creation", Severity.WARNING,
                "CREATE INDEX blocks writes to \"Log\" | while it builds",
                Location(file="versions/0002_hot_query_indexes.py", line=17),
                help="use CREATE INDEX CONCURRENTLY",
                evidence=(("sql", 'CREATE INDEX "Log_x_idx" ON "Log" ("x")'),),
                environment="prod"),
    ),
    sections=(
        Section("prod: 0001 → 0002 (1 pending)", ("revision", "message"),
                (("0002", "Hot query indexes"),)),
        Section("prod: SQL of 0002", text='CREATE INDEX "Log_x_idx" ON "Log" ("x");',
                language="sql"),
    ),
    data={"gate": "promote", "head": "0002"},
    notes=("planned against postgresql://nivo:s3cr%40t@db.example:5432/postgres",),
)


@pytest.mark.parametrize("fmt, suffix", [("terminal", "txt"), ("json", "json"),
                                         ("markdown", "md"), ("github", "github.txt")])
def test_render_matches_expected_file(fmt, suffix):
    out = io.StringIO()
    render(REPORT, fmt, out)
    expected_file = EXPECTED / f"plan.{suffix}"
    if os.environ.get("NIVOMIGRATE_UPDATE_EXPECTED"):
        expected_file.write_text(out.getvalue())
        pytest.fail(f"regenerated {expected_file.name}: review it, then run without the variable")
    assert out.getvalue() == expected_file.read_text()


@pytest.mark.parametrize("fmt", ["terminal", "json", "markdown", "github"])
def test_render_hides_passwords(fmt):
    out = io.StringIO()
    render(REPORT, fmt, out)
    assert "s3cr" not in out.getvalue()
