"""Terminal rendering with rich; plain text when the output is not a terminal.

Findings are grouped by check, errors first; each group shows its first few findings and
says how many more `--verbose` would show. Every text is escaped: rich would read a check's
name in brackets (`[sql-lint]`) as markup and swallow it.
"""

from __future__ import annotations

from collections import Counter

from nivomigrate.findings import Finding, Report, Section, Severity
from nivomigrate.redaction import redact

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)
SHOWN_PER_CHECK = 3


def render_terminal(report: Report, out, *, verbose: bool = False, quiet: bool = False,
                    brief: bool = False) -> None:
    """Print the report to `out` (colours only on a terminal).

    Args:
        verbose: show every finding of each check, not the first few.
        quiet: show only the errors and the verdict.
        brief: leave out the sections (tables, SQL): the title, findings and verdict.
    """
    from rich.console import Console

    is_terminal = hasattr(out, "isatty") and out.isatty()
    console = Console(file=out, soft_wrap=True, highlight=False, emoji=False,
                      width=None if is_terminal else 160)
    findings = tuple(f for f in report.findings if f.is_blocking or not quiet)
    if not quiet:
        console.print(f"[bold]{_escape(report.title)}[/bold]")
    for note in () if quiet or brief else report.notes:
        console.print(_escape(note))
    for section in () if quiet or brief else report.sections:
        _section(console, section)
    if findings and not (quiet or brief):
        console.print()
    for group in finding_groups(findings):
        if brief and not group[0].is_blocking:
            _summary_line(console, group)
            continue
        shown = group if verbose else group[:SHOWN_PER_CHECK]
        for finding in shown:
            _finding(console, finding)
        if len(group) > len(shown):
            console.print(f"  … {len(group) - len(shown)} more {_escape(group[0].check)} "
                          f"{group[0].severity.value}s: --verbose")
    verdict = "[green]pass[/green]" if not report.is_blocked else "[bold red]blocked[/bold red]"
    console.print(f"verdict: {verdict}{_escape(_counts(report.findings))}")


def finding_groups(findings: tuple[Finding, ...]) -> list[list[Finding]]:
    """Group findings by severity (errors first), then by check, keeping their order."""
    groups: dict[tuple[Severity, str], list[Finding]] = {}
    for finding in sorted(findings, key=lambda f: _ORDER.index(f.severity)):
        groups.setdefault((finding.severity, finding.check), []).append(finding)
    return list(groups.values())


def _finding(console, f: Finding) -> None:
    where = f" {_escape(redact(f.where))}" if f.where else ""
    console.print(f"[{_STYLES[f.severity]}]{f.severity.value}[/] "
                  f"[bold]{_escape('[' + f.check + ']')}[/bold]{where}: "
                  f"{_escape(redact(f.message))}")
    if f.help:
        console.print(f"  fix: {_escape(redact(f.help))}")
    for label, value in f.evidence:
        console.print(f"  {_escape(label)}: {_escape(redact(value))}")


def _summary_line(console, group: list[Finding]) -> None:
    """One line for a group of warnings or infos: how many, the check, the first one."""
    first = group[0]
    count = f"{len(group)} {first.severity.value}{'s' if len(group) != 1 else ''}"
    text = " ".join(f"{first.where}: {first.message}".split())
    console.print(f"[{_STYLES[first.severity]}]{count}[/] [bold]{_escape('[' + first.check + ']')}"
                  f"[/bold], e.g. {_escape(text)}", soft_wrap=False)  # wrapped, never cut


def _counts(findings: tuple[Finding, ...]) -> str:
    counts = Counter(f.severity for f in findings)
    parts = [f"{counts[s]} {s.value}{'s' if counts[s] != 1 else ''}" for s in _ORDER if counts[s]]
    return f" ({', '.join(parts)})" if parts else ""


def _section(console, section: Section) -> None:
    from rich.table import Table

    console.print(f"\n[bold]{_escape(section.title)}[/bold]")
    if section.columns:
        table = Table(show_lines=False)
        for column in section.columns:
            table.add_column(_escape(column), overflow="fold")  # wrapped, never cut with "…"
        for row in section.rows:
            table.add_row(*(_escape(redact(str(value))) for value in row))
        console.print(table)
    if section.text:
        console.print(_escape(redact(section.text.rstrip())))


def _escape(text: str) -> str:
    """Escape rich markup, and hide any password."""
    from rich.markup import escape

    return escape(redact(text))
