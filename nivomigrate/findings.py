"""Findings: what a check found, where, and the safe way to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Severity(StrEnum):
    """ERROR blocks the gate; WARNING and INFO are only reported."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Location:
    """A revision file and line, or a schema object (`"Log"`, `"Log_projectId_idx"`)."""

    file: str | None = None
    line: int | None = None
    object: str | None = None

    def __str__(self) -> str:
        if self.file:
            return f"{self.file}:{self.line}" if self.line else self.file
        return self.object or ""


@dataclass(frozen=True)
class Finding:
    check: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)
    help: str | None = None
    evidence: tuple[tuple[str, str], ...] = ()
    environment: str | None = None

    @property
    def is_blocking(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def where(self) -> str:
        """The environment and the location, each once: `prod versions/0002_x.py:17`."""
        location = str(self.location)
        parts = [self.environment or "", "" if location == self.environment else location]
        return " ".join(part for part in parts if part)


@dataclass(frozen=True)
class Section:
    """A titled part of a report: a table (`columns` + `rows`) and/or a text block (SQL)."""

    title: str
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    text: str | None = None
    language: str = ""


@dataclass(frozen=True)
class Report:
    """What a command found: findings, sections to show, and machine-readable data for JSON."""

    command: str
    title: str
    findings: tuple[Finding, ...] = ()
    sections: tuple[Section, ...] = ()
    data: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def is_blocked(self) -> bool:
        return any(finding.is_blocking for finding in self.findings)

    @property
    def verdict(self) -> str:
        return "blocked" if self.is_blocked else "pass"
