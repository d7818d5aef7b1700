"""GitHub Actions rendering: one workflow command per finding, so findings annotate files."""

from __future__ import annotations

from pathlib import Path

from nivomigrate.findings import Finding, Report, Severity
from nivomigrate.redaction import redact

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(report: Report) -> str:
    """Return `::error file=...,line=...,title=...::message` lines and a verdict line.

    A finding reported for several environments (a lint error, once per environment it is
    pending in) is one annotation naming them all.
    """
    lines = []
    for finding, environments in _unique(report.findings):
        properties = [f"title={_property(finding.check)}"]
        if finding.location.file:
            properties.insert(0, f"file={_property(_relative(finding.location.file))}")
            if finding.location.line:
                properties.insert(1, f"line={finding.location.line}")
        where = f"{', '.join(environments)}: " if environments else ""
        text = where + finding.message + (f" Fix: {finding.help}" if finding.help else "")
        lines.append(f"::{_COMMANDS[finding.severity]} {','.join(properties)}::{_data(text)}")
    lines.append(f"{report.title}: {report.verdict}")
    return redact("\n".join(lines) + "\n")


def _unique(findings) -> list[tuple[Finding, list[str]]]:
    """Merge findings equal but for their environment, keeping the first one's order."""
    merged: dict[tuple, tuple[Finding, list[str]]] = {}
    for finding in findings:
        key = (finding.severity, finding.check, finding.location.file, finding.location.line,
               finding.message)
        first, environments = merged.setdefault(key, (finding, []))
        if finding.environment and finding.environment not in environments:
            environments.append(finding.environment)
    return list(merged.values())


def _relative(path: str) -> str:
    """Make a path relative to the repository's root (the workspace), as GitHub expects; a
    relative path is the project's, from the working directory (a project in a subfolder)."""
    absolute = Path(path).resolve()
    cwd = Path.cwd().resolve()
    root = next((folder for folder in (cwd, *cwd.parents) if (folder / ".git").exists()), cwd)
    try:
        return str(absolute.relative_to(root))
    except ValueError:
        return path


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
