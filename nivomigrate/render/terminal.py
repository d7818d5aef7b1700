"""Terminal rendering with rich; plain text when the output is not a terminal."""

from __future__ import annotations

from nivomigrate.findings import Report, Section, Severity
from nivomigrate.redaction import redact

_STYLES = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render_terminal(report: Report, out) -> None:
    """Print the report to `out` (colours only on a terminal)."""
    from rich.console import Console
    from rich.table import Table

    is_terminal = hasattr(out, "isatty") and out.isatty()
    console = Console(file=out, soft_wrap=True, highlight=False, emoji=False,
                      width=None if is_terminal else 160)
    console.print(f"[bold]{_escape(report.title)}[/bold]")
    for note in report.notes:
        console.print(_escape(redact(note)))
    for section in report.sections:
        _section(console, Table, section)
    for f in report.findings:
        where = f.where
        console.print(f"[{_STYLES[f.severity]}]{f.severity.value}[/] [{f.check}] "
                      f"{_escape(redact(where))}: {_escape(redact(f.message))}")
        if f.help:
            console.print(f"  fix: {_escape(redact(f.help))}")
        for label, value in f.evidence:
            console.print(f"  {label}: {_escape(redact(value))}")
    verdict = "[green]pass[/green]" if not report.is_blocked else "[bold red]blocked[/bold red]"
    console.print(f"verdict: {verdict}")


def _section(console, table_class, section: Section) -> None:
    console.print(f"\n[bold]{_escape(section.title)}[/bold]")
    if section.columns:
        table = table_class(*section.columns, show_lines=False)
        for row in section.rows:
            table.add_row(*(_escape(redact(str(value))) for value in row))
        console.print(table)
    if section.text:
        console.print(_escape(redact(section.text.rstrip())))


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
