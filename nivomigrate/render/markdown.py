"""Markdown rendering, for a GitHub step summary or a pull-request comment."""

from __future__ import annotations

from nivomigrate.findings import Report, Section, Severity
from nivomigrate.redaction import redact

_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def render_markdown(report: Report) -> str:
    """Return the report as GitHub-flavoured Markdown."""
    verdict = "✅ pass" if not report.is_blocked else "❌ blocked"
    lines = [f"## {report.title}", "", f"**Verdict:** {verdict}", ""]
    lines += [f"> {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    for section in report.sections:
        lines += _section(section)
    if report.findings:
        lines += ["### Findings", "", "| | check | where | finding | fix |",
                  "|---|---|---|---|---|"]
        for f in report.findings:
            where = f.where
            lines.append(f"| {_ICONS[f.severity]} | `{f.check}` | {_cell(where)} | "
                         f"{_cell(f.message)} | {_cell(f.help or '')} |")
        lines.append("")
    return redact("\n".join(lines) + "\n")


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
