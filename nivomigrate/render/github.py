"""GitHub Actions rendering: one workflow command per finding, so findings annotate files."""

from __future__ import annotations

from pathlib import Path

from nivomigrate.findings import Report, Severity
from nivomigrate.redaction import redact

_COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(report: Report) -> str:
    """Return `::error file=...,line=...,title=...::message` lines and a verdict line."""
    lines = []
    for finding in report.findings:
        properties = [f"title={_property(finding.check)}"]
        if finding.location.file:
            properties.insert(0, f"file={_property(_relative(finding.location.file))}")
            if finding.location.line:
                properties.insert(1, f"line={finding.location.line}")
        where = f"{finding.environment}: " if finding.environment else ""
        text = where + finding.message + (f" Fix: {finding.help}" if finding.help else "")
        lines.append(f"::{_COMMANDS[finding.severity]} {','.join(properties)}::{_data(text)}")
    lines.append(f"{report.title}: {report.verdict}")
    return redact("\n".join(lines) + "\n")


def _relative(path: str) -> str:
    """Make a path relative to the working directory (the workspace), as GitHub expects."""
    absolute = Path(path).resolve()
    try:
        return str(absolute.relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
