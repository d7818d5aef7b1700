"""Findings: what a check found, where, and the safe way to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from nivomigrate.errors import first_exit_code


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
    exit_code: int = 1  # the command's exit code when this finding blocks (README table)

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


def deduplicated(findings: list[Finding]) -> list[Finding]:
    """The findings without repeats (the same check, message and environment), in order."""
    seen, unique = set(), []
    for finding in findings:
        key = (finding.check, finding.message, finding.environment)
        if key not in seen:
            seen.add(key)
            unique.append(finding)
    return unique


def exit_code_of(findings: tuple[Finding, ...] | list[Finding]) -> int:
    """Return the exit code the blocking findings stand for (0 when none blocks)."""
    return first_exit_code([f.exit_code for f in findings if f.is_blocking])


@dataclass(frozen=True)
class Report:
    """What a command found: findings, sections to show, and machine-readable data for JSON.

    `exit_code` is the blocking findings' (`exit_code_of`) unless the command sets it (diff).
    """

    command: str
    title: str
    findings: tuple[Finding, ...] = ()
    sections: tuple[Section, ...] = ()
    data: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    exit_code: int = -1

    def __post_init__(self) -> None:
        if self.exit_code < 0:
            object.__setattr__(self, "exit_code", exit_code_of(self.findings))

    @property
    def is_blocked(self) -> bool:
        return any(finding.is_blocking for finding in self.findings)

    @property
    def verdict(self) -> str:
        return "blocked" if self.is_blocked else "pass"


def with_relative_paths(report: Report, *roots: str) -> Report:
    """Return `report` with each root's absolute prefix (`/home/runner/work/app/`) left out of
    every file, text and row, so that a reader sees `versions/0002_x.py:17`."""
    prefixes = [root.rstrip("/") + "/" for root in roots if root and root != "/"]

    def short(text):
        if not isinstance(text, str):
            return text
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    def finding(f: Finding) -> Finding:
        location = replace(f.location, file=short(f.location.file))
        return replace(f, location=location, message=short(f.message), help=short(f.help),
                       evidence=tuple((label, short(value)) for label, value in f.evidence))

    sections = tuple(replace(s, title=short(s.title), text=short(s.text),
                             rows=tuple(tuple(short(v) for v in row) for row in s.rows))
                     for s in report.sections)
    return replace(report, title=short(report.title),
                   findings=tuple(finding(f) for f in report.findings),
                   sections=sections, notes=tuple(short(n) for n in report.notes))
