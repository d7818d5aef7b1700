"""The pull request comment: the plan's verdict and what is new in this pull request.

Pure over one plan Report and the findings new in it. Schema and counts only: no evidence
(plans, queries) and never a row value. Each new finding carries its fix and, when it is in
a revision file, the acknowledgement line to copy into that file (docs/safety.md).
"""

from __future__ import annotations

import re

from nivomigrate.findings import Finding, Report, Section, Severity
from nivomigrate.github_comment import MARKER
from nivomigrate.redaction import redact

_ICONS = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def finding_key(finding: Finding) -> tuple:
    """What makes two findings the same across commits: not line numbers, nor measured numbers."""
    file = (finding.location.file or "").rsplit("/", 1)[-1]
    message = re.sub(r"\d+(?:[.,]\d+)*", "#", finding.message)
    return (finding.check, finding.environment, finding.location.object, file, message)


def new_findings(report: Report, base: Report | None) -> list[Finding]:
    """Return the findings of `report` that the merge base's report does not have."""
    if base is None:
        return list(report.findings)
    known = {finding_key(f) for f in base.findings}
    return [f for f in report.findings if finding_key(f) not in known]


def render_comment(report: Report, new: list[Finding], *, report_url: str | None = None,
                   run_url: str | None = None, base_note: str | None = None) -> str:
    """Return the comment's Markdown, starting with the hidden marker."""
    verdict = "❌ blocked" if report.is_blocked else "✅ passes"
    lines = [MARKER, f"## nivomigrate: the merge gate {verdict}", "", f"_{report.title}_", ""]
    links = [f"[full report]({report_url})" if report_url else "",
             f"[run]({run_url})" if run_url else ""]
    if any(links):
        lines += [" · ".join(link for link in links if link), ""]
    lines += _pending(report)
    lines += _new_findings(report, new, base_note)
    for section in report.sections:
        if "lock footprint" in section.title:
            lines += _table(section)
    for section in report.sections:
        if section.title.endswith("difference") and section.text:
            lines += ["<details><summary>" + _escape(section.title) + "</summary>", "",
                      "```sql", section.text.rstrip(), "```", "", "</details>", ""]
    return redact("\n".join(lines) + "\n")


def _pending(report: Report) -> list[str]:
    environments = report.data.get("environments") or {}
    if not environments:
        return []
    lines = ["### Pending revisions", "", "| environment | at | pending |", "|---|---|---|"]
    for name, entry in environments.items():
        pending = ", ".join(f"`{p['id']}` ({p['file']})" for p in entry.get("pending", []))
        lines.append(f"| {name} | `{entry.get('current_revision') or 'base'}` | "
                     f"{pending or 'none'} |")
    return [*lines, ""]


def _new_findings(report: Report, new: list[Finding], base_note: str | None) -> list[str]:
    old = len(report.findings) - len(new)
    lines = [f"### Findings new in this pull request: {len(new)}", ""]
    if base_note:
        lines += [f"> {base_note}", ""]
    if old:
        lines += [f"{old} other finding(s) are on the base branch too (in the full report).", ""]
    for f in sorted(new, key=lambda f: list(Severity).index(f.severity)):
        where = f" — {_escape(f.where)}" if f.where else ""
        lines.append(f"- {_ICONS[f.severity]} **`{f.check}`**{where}: {_escape(f.message)}")
        if f.help:
            lines.append(f"  - fix: {_escape(f.help)}")
        acknowledgement = acknowledgement_line(f)
        if acknowledgement:
            lines += ["  - or, if it is fine, add to the revision:", "",
                      "    ```python", f"    {acknowledgement}", "    ```"]
    return [*lines, ""]


def acknowledgement_line(finding: Finding) -> str | None:
    """Return the `# nivomigrate: ack|waive` line that accepts `finding`, when it has one."""
    if not finding.location.file or not finding.location.object \
            or finding.severity is Severity.INFO:
        return None
    verb = "ack" if finding.check == "destructive-change" else "waive"
    name = dict(finding.evidence).get("rule") or finding.check  # a squawk rule, by its name
    return f'# nivomigrate: {verb} {name} "{finding.location.object}" -- <why it is fine>'


def _table(section: Section) -> list[str]:
    lines = [f"### {_escape(section.title)}", ""]
    if not section.rows:
        return [*lines, "nothing measured", ""]
    lines += ["| " + " | ".join(section.columns) + " |", "|" + "---|" * len(section.columns)]
    lines += ["| " + " | ".join(_escape(str(v)) for v in row) + " |" for row in section.rows]
    return [*lines, ""]


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
