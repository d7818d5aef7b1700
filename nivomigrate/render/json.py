"""JSON rendering: a documented, versioned shape (docs/json-report.md), not asdict()."""

from __future__ import annotations

import json

from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Location, Report, Section, Severity
from nivomigrate.redaction import redact

SCHEMA_VERSION = 1


def render_json(report: Report) -> str:
    """Return the report as JSON with `"schema_version": 1`."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "command": report.command,
        "title": report.title,
        "verdict": report.verdict,
        "findings": [_finding(finding) for finding in report.findings],
        "notes": list(report.notes),
        "sections": [_section(section) for section in report.sections],
        "data": {**report.data, "exit_code": report.exit_code},
    }
    return redact(json.dumps(document, indent=2, default=str, sort_keys=False))


def _finding(finding: Finding) -> dict:
    return {
        "check": finding.check,
        "severity": finding.severity.value,
        "message": finding.message,
        "environment": finding.environment,
        "location": {
            "file": finding.location.file,
            "line": finding.location.line,
            "object": finding.location.object,
        },
        "help": finding.help,
        "evidence": [{"label": label, "value": value} for label, value in finding.evidence],
    }


def _section(section: Section) -> dict:
    return {"title": section.title, "columns": list(section.columns),
            "rows": [list(row) for row in section.rows], "text": section.text,
            "language": section.language}


def report_from_json(text: str) -> Report:
    """Read back a report written by `render_json` (to render it in another format).

    Raises:
        ConfigError: the text is not a nivomigrate JSON report of schema version 1.
    """
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not a JSON report: {exc}",
                          hint="pass the output of a command run with --format json") from None
    if not isinstance(document, dict) or document.get("schema_version") != SCHEMA_VERSION:
        raise ConfigError("not a nivomigrate JSON report of schema version 1",
                          hint="pass the output of a command run with --format json")
    try:
        return _report_from(document)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"not a complete nivomigrate JSON report: {type(exc).__name__}: "
                          f"{exc}", hint="pass the output of a command run with --format json "
                          "(as written, not edited)") from None


def _report_from(document: dict) -> Report:
    data = dict(document.get("data") or {})
    exit_code = int(data.pop("exit_code", -1))
    return Report(
        command=document["command"], title=document["title"],
        findings=tuple(_finding_from(f) for f in document.get("findings", [])),
        sections=tuple(Section(s["title"], tuple(s.get("columns") or ()),
                               tuple(tuple(row) for row in s.get("rows") or ()),
                               s.get("text"), s.get("language") or "")
                       for s in document.get("sections", [])),
        data=data, notes=tuple(document.get("notes", [])), exit_code=exit_code,
    )


def _finding_from(item: dict) -> Finding:
    location = item.get("location") or {}
    return Finding(
        check=item["check"], severity=Severity(item["severity"]), message=item["message"],
        location=Location(location.get("file"), location.get("line"), location.get("object")),
        help=item.get("help"), environment=item.get("environment"),
        evidence=tuple((e["label"], e["value"]) for e in item.get("evidence", [])),
    )


def read_report(path) -> Report:
    """Read a JSON report file.

    Raises:
        ConfigError: the file is missing or not a nivomigrate JSON report.
    """
    from pathlib import Path

    from nivomigrate.files import read_text

    try:
        text = read_text(Path(path), hint="pass the file a command wrote with --format json")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}",
                          hint="pass the file a command wrote with --format json") from None
    return report_from_json(text)
