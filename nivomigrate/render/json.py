"""JSON rendering: a documented, versioned shape (docs/json-report.md), not asdict()."""

from __future__ import annotations

import json

from nivomigrate.findings import Finding, Report
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
