"""HTML rendering: one self-contained page (inline CSS and SVG, no script, no network).

The verdict on top, then what the report's data allows: the pending SQL highlighted
(pygments), the lock-footprint timeline, the coverage matrix, the changed tables as an
entity diagram, the history as a timeline, the findings with their fixes, and every other
section as a table. Pure over one Report: the pictures are drawn from `report.data`
(render/html_charts.py), never from a database.
"""

from __future__ import annotations

from html import escape

from nivomigrate.findings import Finding, Report, Section, Severity
from nivomigrate.redaction import redact
from nivomigrate.render import html_charts as charts

_SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
_STYLE = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",
Roboto,"DejaVu Sans",sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:1180px;margin:0 auto;padding:24px}h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:0 0 12px}section{background:#fff;border:1px solid #d0d7de;
border-radius:8px;padding:16px 20px;margin:0 0 16px}
#verdict{display:flex;gap:20px;align-items:center;border-width:2px}
#verdict.blocked{border-color:#cf222e;background:#fff5f5}#verdict.pass{border-color:#1a7f37;
background:#f3fbf5}.badge{font-size:22px;font-weight:700;padding:10px 18px;border-radius:8px;
color:#fff;text-transform:uppercase;letter-spacing:.04em}.blocked .badge{background:#cf222e}
.pass .badge{background:#1a7f37}.counts span{margin-right:14px}.muted{color:#59636e}
.error{color:#cf222e}.warning{color:#9a6700}.info{color:#0969da}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eaeef2;
padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}
pre{margin:0;padding:12px;background:#f6f8fa;border-radius:6px;overflow-x:auto;
font:12px/1.5 ui-monospace,"DejaVu Sans Mono",monospace;max-height:420px}
code{font:12px ui-monospace,"DejaVu Sans Mono",monospace}.finding{padding:8px 0;
border-bottom:1px solid #eaeef2}.finding:last-child{border:0}.check{font-weight:600}
.fix{margin:2px 0 0 18px}details{margin:4px 0 0 18px}svg{max-width:100%;height:auto}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.reasons{margin:6px 0 0;padding-left:18px;color:#cf222e}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px}
.marks{margin:4px 0 10px;padding-left:18px;font-size:13px;list-style:none}
"""


def render_html(report: Report) -> str:
    """Return the report as one self-contained HTML page."""
    parts = [_verdict(report), _run(report), _sql(report), charts.footprint_section(report),
             charts.coverage_section(report), charts.tables_section(report),
             charts.history_section(report), _findings(report), _other_sections(report)]
    body = "\n".join(part for part in parts if part)
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(report.title)}</title><style>{_STYLE}</style></head>\n"
            f"<body><main>\n{body}\n</main></body></html>\n")
    return redact(page)


def _verdict(report: Report) -> str:
    counts = {s: sum(f.severity is s for f in report.findings) for s in _SEVERITIES}
    spans = "".join(f'<span class="{s.value}">{n} {s.value}{"s" if n != 1 else ""}</span>'
                    for s, n in counts.items())
    notes = "".join(f'<div class="muted">{escape(note)}</div>' for note in report.notes)
    blocking = [(f, envs) for f, envs in _merged(report.findings) if f.is_blocking]
    reasons = "".join(f'<li><span class="check">[{escape(f.check)}]</span> '
                      f"{escape(_where(f, envs))}: {escape(f.message)}</li>"
                      for f, envs in blocking[:5])
    if len(blocking) > 5:
        reasons += f"<li>… {len(blocking) - 5} more below</li>"
    notes += f'<ul class="reasons">{reasons}</ul>' if reasons else ""
    exit_code = report.exit_code
    code = f' · exit code {exit_code}' if exit_code is not None else ""
    return (f'<section id="verdict" class="{report.verdict}"><div class="badge">'
            f'{report.verdict}</div><div><h1>{escape(report.title)}</h1>'
            f'<div class="counts">{spans}<span class="muted">nivomigrate {escape(report.command)}'
            f"{code}</span></div>{notes}</div></section>")


def _run(report: Report) -> str:
    """What an apply or promote run did: the revisions and their times, and the verification."""
    if report.command not in ("apply", "promote") or report.data.get("run_id") is None:
        return ""
    data = report.data
    facts = [f"run #{data['run_id']} on {escape(str(data.get('environment')))}: "
             f"{escape(str(data.get('from_revision') or 'base'))} → "
             f"{escape(str(data.get('to_revision')))}"]
    if data.get("staging_run_id"):
        facts.append(f"the revisions of staging's passed run #{data['staging_run_id']}")
    errors = sum(f.is_blocking for f in report.findings)
    facts.append("verification: " + (f'<span class="error">failed, {errors} error(s)</span>'
                                     if errors else '<span style="color:#1a7f37">passed</span>'))
    applied = [s for s in report.sections if s.title == "Applied revisions"]
    items = "".join(f"<li>{fact}</li>" for fact in facts)
    return (f'<section id="run"><h2>What ran</h2><ul>{items}</ul>'
            f'{"".join(_section(s) for s in applied)}</section>')


def _sql(report: Report) -> str:
    """The pending (or applied) SQL, one block per revision, highlighted; the statements a
    finding is about marked, with the finding named under the block."""
    blocks = charts.pending_sql(report)
    if not blocks:
        return ""
    flagged = _flagged_statements(report.findings)
    items = "".join(f"<h3>{escape(title)}</h3>{_marked_sql(sql, flagged)}"
                    for title, sql in blocks)
    heading = "SQL it ran" if report.command == "promote" else "Pending SQL"
    return f'<section id="sql"><h2>{heading}</h2>{items}</section>'


def _flagged_statements(findings) -> dict[str, list[Finding]]:
    """The statements findings quote (evidence `statement`), whitespace-normalised."""
    flagged: dict[str, list[Finding]] = {}
    for finding, _ in _merged(findings):
        for label, value in finding.evidence:
            if label == "statement":
                flagged.setdefault(" ".join(value.rstrip(";").split()), []).append(finding)
    return flagged


def _marked_sql(sql: str, flagged: dict[str, list[Finding]]) -> str:
    from nivomigrate.sql import split

    lines, notes = [], []
    for statement in split(sql):
        found = flagged.get(" ".join(statement.sql.split()), [])
        if found:
            lines += range(statement.first_line + 1, statement.last_line + 2)
            notes += [f'<li><span class="{f.severity.value}">▲ line {statement.first_line + 1}'
                      f'</span> <span class="check">[{escape(f.check)}]</span> '
                      f"{escape(f.message)}</li>" for f in found]
    marks = f'<ul class="marks">{"".join(notes)}</ul>' if notes else ""
    return highlight_sql(sql, lines) + marks


def highlight_sql(sql: str, marked_lines=()) -> str:
    """Return `sql` as highlighted HTML with inline styles (no stylesheet to fetch), the
    `marked_lines` (1-based) on a red background."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PostgresLexer
    from pygments.styles.friendly import FriendlyStyle

    class Marked(FriendlyStyle):  # inline styles take the marked lines' colour from the style
        highlight_color = "#ffd8d3"

    formatter = HtmlFormatter(noclasses=True, nobackground=True, style=Marked,
                              hl_lines=list(marked_lines))
    return f"<pre>{highlight(sql.rstrip(), PostgresLexer(), formatter)}</pre>"


def _findings(report: Report) -> str:
    if not report.findings:
        return ""
    merged = _merged(report.findings)
    ordered = sorted(merged, key=lambda item: _SEVERITIES.index(item[0].severity))
    items = "".join(_finding(f, environments) for f, environments in ordered)
    return f'<section id="findings"><h2>Findings ({len(merged)})</h2>{items}</section>'


def _merged(findings) -> list[tuple[Finding, list[str]]]:
    """Findings equal but for their environment, once, with the environments they concern."""
    merged: dict[tuple, tuple[Finding, list[str]]] = {}
    for f in findings:
        key = (f.check, f.severity, f.message, f.location, f.help, f.evidence)
        entry = merged.setdefault(key, (f, []))
        if f.environment and f.environment not in entry[1]:
            entry[1].append(f.environment)
    return list(merged.values())


def _where(f: Finding, environments: list[str]) -> str:
    """`staging, prod versions/0002_x.py:17`: the environments, then the location."""
    location = str(f.location)
    return " ".join([", ".join(environments),
                     "" if location in environments else location]).strip()


def _finding(f: Finding, environments: list[str]) -> str:
    where = _where(f, environments)
    where = f' <span class="muted">{escape(where)}</span>' if where else ""
    fix = f'<div class="fix">fix: {escape(f.help)}</div>' if f.help else ""
    evidence = ""
    if f.evidence:
        rows = "".join(f"<tr><th>{escape(label)}</th><td><code>{escape(value)}</code></td></tr>"
                       for label, value in f.evidence)
        evidence = f"<details><summary>evidence</summary><table>{rows}</table></details>"
    return (f'<div class="finding"><span class="{f.severity.value}">{f.severity.value}</span> '
            f'<span class="check">[{escape(f.check)}]</span>{where}: {escape(f.message)}'
            f"{fix}{evidence}</div>")


def _other_sections(report: Report) -> str:
    """Every section the pictures above do not already show (tables, other SQL)."""
    shown = [s for s in report.sections if not _is_drawn(s)]
    if not shown:
        return ""
    return '<section id="details"><h2>Details</h2>' + "".join(_section(s) for s in shown) \
        + "</section>"


def _is_drawn(section: Section) -> bool:
    title = section.title
    return " SQL of " in f" {title}" or "lock footprint" in title or title == "Applied revisions"


def _section(section: Section) -> str:
    html = f"<h3>{escape(section.title)}</h3>"
    if section.columns:
        head = "".join(f"<th>{escape(c)}</th>" for c in section.columns)
        rows = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>"
                       for row in section.rows)
        html += f"<table><tr>{head}</tr>{rows}</table>"
    if section.text:
        html += highlight_sql(section.text) if section.language == "sql" \
            else f"<pre>{escape(section.text)}</pre>"
    return html
