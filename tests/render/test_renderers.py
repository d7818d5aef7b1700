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


def _many(check: str, count: int, severity=Severity.WARNING) -> tuple[Finding, ...]:
    return tuple(Finding(check, severity, f"problem {n}", Location(object=f"T{n}"))
                 for n in range(count))


def test_terminal_groups_findings_and_caps_each_check():
    from nivomigrate.render.terminal import SHOWN_PER_CHECK

    report = Report("coverage", "t", findings=_many("hot-query-index", 12)
                    + _many("sql-lint", 1, Severity.ERROR))
    out = io.StringIO()
    render(report, "terminal", out)
    lines = out.getvalue().splitlines()
    first_error = next(i for i, line in enumerate(lines) if line.startswith("error"))
    first_warning = next(i for i, line in enumerate(lines) if line.startswith("warning"))
    assert first_error < first_warning  # errors first
    assert "error [sql-lint] T0: problem 0" in lines
    assert sum(line.startswith("warning [hot-query-index]") for line in lines) == SHOWN_PER_CHECK
    assert f"  … {12 - SHOWN_PER_CHECK} more hot-query-index warnings: --verbose" in lines
    verbose = io.StringIO()
    render(report, "terminal", verbose, verbose=True)
    assert sum(line.startswith("warning [hot-query-index]")
               for line in verbose.getvalue().splitlines()) == 12


def test_terminal_quiet_shows_only_errors_and_the_verdict():
    out = io.StringIO()
    render(REPORT, "terminal", out, quiet=True)
    text = out.getvalue()
    assert "[staging-run]" in text and "require-concurrent" not in text
    assert "prod: SQL of 0002" not in text and text.rstrip().endswith("(1 error, 1 warning)")


def test_github_annotations_name_each_finding_once_with_its_environments():
    from dataclasses import replace

    lint = REPORT.findings[1]
    report = replace(REPORT, findings=(lint, replace(lint, environment="staging")))
    out = io.StringIO()
    render(report, "github", out)
    annotations = [line for line in out.getvalue().splitlines() if line.startswith("::")]
    assert len(annotations) == 1 and "::prod, staging: CREATE INDEX" in annotations[0]


def test_json_report_reads_back_equal():
    from nivomigrate.render.json import render_json, report_from_json

    again = report_from_json(render_json(REPORT).replace("***", "s3cr%40t"))
    assert again.findings == REPORT.findings and again.sections == REPORT.sections
    assert again.data == REPORT.data and again.title == REPORT.title
