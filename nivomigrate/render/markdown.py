"""Markdown rendering, for a GitHub step summary or a pull-request comment."""

from __future__ import annotations

from nivomigrate.findings import Report, Section, Severity
from nivomigrate.redaction import redact

_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}
MAX_FOOTPRINT_ROWS = 30


def render_markdown(report: Report) -> str:
    """Return the report as GitHub-flavoured Markdown."""
    verdict = "✅ pass" if not report.is_blocked else "❌ blocked"
    lines = [f"## {report.title}", "", f"**Verdict:** {verdict}", ""]
    lines += [f"> {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    for section in report.sections:
        lines += _section(section)
    if report.command in ("apply", "promote"):
        lines += _run_summary(report)
    if report.findings:
        lines += ["### Findings", "", "| | check | where | finding | fix |",
                  "|---|---|---|---|---|"]
        for f in report.findings:
            where = f.where
            lines.append(f"| {_ICONS[f.severity]} | `{f.check}` | {_cell(where)} | "
                         f"{_cell(f.message)} | {_cell(f.help or '')} |")
        lines.append("")
    return redact("\n".join(lines) + "\n")


def _run_summary(report: Report) -> list[str]:
    """What a step summary of apply/promote adds: the footprint and the verification."""
    from nivomigrate.render.html_charts import footprint_rows

    data = report.data
    lines = []
    if data.get("staging_run_id"):
        lines += [f"Promotes the revisions of staging's passed run #{data['staging_run_id']}.", ""]
    rows = footprint_rows(report)
    if rows:
        lines += ["### Lock footprint: measured on staging, projected on prod", "",
                  "| statement | measured | projected on prod | limit | |", "|---|---|---|---|---|"]
        for row in rows[:MAX_FOOTPRINT_ROWS]:
            projected = row["projected_ms"]
            over = projected is not None and projected > row["limit_ms"] and row["blocks_writes"]
            lines.append(f"| `{_cell(row['label'][:90])}` | {row['measured_ms']:.0f} ms | "
                         f"{'-' if projected is None else f'{projected:.0f} ms'} | "
                         f"{row['limit_ms']} ms | {'❌' if over else '✅'} |")
        if len(rows) > MAX_FOOTPRINT_ROWS:
            lines.append(f"| … {len(rows) - MAX_FOOTPRINT_ROWS} more in the HTML report | | | | |")
        lines.append("")
    if data.get("run_id") is not None:
        errors = sum(f.is_blocking for f in report.findings)
        verdict = f"failed ({errors} error(s) below)" if errors else "passed"
        lines += [f"**Verification:** {verdict}; run #{data['run_id']} is recorded in the "
                  "ledger (`nivomigrate history`).", ""]
    return lines


def _section(section: Section) -> list[str]:
    lines = [f"### {section.title}", ""]
    if section.columns:
        lines.append("| " + " | ".join(section.columns) + " |")
        lines.append("|" + "---|" * len(section.columns))
        lines += ["| " + " | ".join(_cell(str(v)) for v in row) + " |" for row in section.rows]
        lines.append("")
    if section.text:
        lines += [f"```{section.language}", section.text.rstrip(), "```", ""]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")
