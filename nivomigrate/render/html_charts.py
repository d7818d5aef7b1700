"""The pictures of the HTML report, drawn as inline SVG (or an HTML table) from report.data.

Each `*_section(report)` returns one `<section>` or "" when the report has no such data:
the lock-footprint timeline, the coverage matrix, the changed tables, the history.
"""

from __future__ import annotations

import re
from datetime import datetime
from html import escape

from nivomigrate.findings import Report

# PostgreSQL's lock modes that block writes (ShareLock and stronger, not ShareUpdateExclusive).
WRITE_BLOCKING = frozenset({"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock",
                            "AccessExclusiveLock"})
_GREEN, _RED, _AMBER, _BLUE, _GREY = "#1a7f37", "#cf222e", "#bf8700", "#0969da", "#8c959f"


# --- lock footprint ---------------------------------------------------------------------------

_STRENGTH = ("AccessShareLock", "RowShareLock", "RowExclusiveLock", "ShareUpdateExclusiveLock",
             "ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock")


def _strongest(locks: list[dict]) -> str | None:
    modes = [lock.get("mode") for lock in locks if lock.get("mode") in _STRENGTH]
    return max(modes, key=_STRENGTH.index) if modes else None


def footprint_rows(report: Report) -> list[dict]:
    """One row per measured statement: label, measured and projected ms, its strongest lock
    mode, the limit it is held against (only a write-blocking lock is), blocking."""
    limits = report.data.get("lock_limits") or {"default_ms": 1000, "tables": {}}
    rows = []
    for footprint in _footprints(report):
        for statement in footprint.get("statements", []):
            tables = statement.get("tables", [])
            blocking = [lock["relation"] for lock in statement.get("locks", [])
                        if lock.get("mode") in WRITE_BLOCKING]
            limit = min((limits["tables"].get(t, limits["default_ms"]) for t in blocking),
                        default=limits["default_ms"])
            projected = max((t.get("projected_s") or 0 for t in tables), default=None)
            rows.append({
                "sql": " ".join(statement["sql"].split()),
                "label": f"{footprint['revision']}: {_short(statement['sql'])}",
                "measured_ms": statement["duration_s"] * 1000,
                "projected_ms": projected * 1000 if projected is not None else None,
                "limit_ms": limit, "blocks_writes": bool(blocking),
                "mode": _strongest(statement.get("locks", [])),
                "limit_for": ", ".join(sorted(set(blocking))),
            })
    return rows


_NOISE = re.compile(r"\b(concurrently|if not exists|if exists|only|using btree)\s+", re.I)


def _short(sql: str) -> str:
    """The statement without the words that do not tell statements apart."""
    return _NOISE.sub("", " ".join(sql.split()))


def _footprints(report: Report) -> list[dict]:
    data = report.data
    if report.command == "promote":
        return data.get("staging_footprint") or []
    if report.command == "apply":
        return data.get("footprint") or []
    environments = data.get("environments") or {}
    seen, result = set(), []
    for entry in environments.values():
        for footprint in (entry.get("footprint") or []) if isinstance(entry, dict) else []:
            if footprint["revision"] not in seen:
                seen.add(footprint["revision"])
                result.append(footprint)
    return result


def footprint_section(report: Report) -> str:
    if report.command not in ("plan", "apply", "promote"):
        return ""
    rows = footprint_rows(report)
    title = "<h2>Lock footprint per statement: measured on staging, projected on prod</h2>"
    if not rows:
        why = ("nothing measured yet: `nivomigrate apply staging` measures each statement's "
               "locks, and the plan then projects them onto prod") if report.command == "plan" \
            else "no statement took a lock worth measuring"
        return f'<section id="footprint">{title}<p class="muted">{escape(why)}</p></section>'
    return f'<section id="footprint">{title}{_legend_footprint()}{_timeline_svg(rows)}</section>'


def _legend_footprint() -> str:
    items = [(_BLUE, "measured on staging"), (_AMBER, "projected on prod"),
             (_RED, "over the policy's limit (write-blocking lock)")]
    spans = "".join(f'<span><i class="swatch" style="background:{c}"></i>{escape(t)}</span>'
                    for c, t in items)
    return (f'<div class="legend">{spans}<span>┆ the limit</span></div><p class="muted">Each '
            "bar names the strongest lock its statement took. A lock that blocks writes "
            "(ShareLock or stronger: a plain CREATE INDEX, most ALTER TABLE) is held against "
            "policies/promotion.yaml's max_lock_hold_ms for its table, the dashed line; one that "
            "lets reads and writes go on (ShareUpdateExclusiveLock: CREATE INDEX CONCURRENTLY, "
            "VALIDATE CONSTRAINT) has no limit, only its duration.</p>")


def _timeline_svg(rows: list[dict]) -> str:
    left, width, row_h = 420, 1100, 34
    scale_ms = max([r["limit_ms"] for r in rows] + [r["measured_ms"] for r in rows]
                   + [r["projected_ms"] or 0 for r in rows]) * 1.15
    x = lambda ms: left + (width - left - 60) * ms / scale_ms  # noqa: E731
    height = 30 + row_h * len(rows)
    parts = [_axis(x, scale_ms, height)]
    for i, row in enumerate(rows):
        parts.append(_timeline_row(row, x, 22 + i * row_h))
    return (f'<svg viewBox="0 0 {width} {height + 6}" width="{width}" role="img" '
            f'aria-label="lock footprint timeline">{"".join(parts)}</svg>')


def _axis(x, scale_ms: float, height: int) -> str:
    ticks = []
    for n in range(5):
        ms = scale_ms / 1.15 * n / 4
        ticks.append(f'<line x1="{x(ms):.1f}" y1="14" x2="{x(ms):.1f}" y2="{height}" '
                     f'stroke="#eaeef2"/><text x="{x(ms):.1f}" y="11" font-size="10" '
                     f'text-anchor="middle" fill="#59636e">{_ms(ms)}</text>')
    return "".join(ticks)


def _timeline_row(row: dict, x, y: int) -> str:
    label = row["label"] if len(row["label"]) <= 62 else row["label"][:61] + "…"
    over = row["projected_ms"] is not None and row["projected_ms"] > row["limit_ms"]
    projected_colour = _RED if over and row["blocks_writes"] else _AMBER
    lock_colour = _RED if row["blocks_writes"] else _GREY
    parts = [f'<text x="6" y="{y + 10}" font-size="11" font-family="monospace">'
             f"<title>{escape(row['sql'])}</title>{escape(label)}</text>",
             f'<text x="6" y="{y + 23}" font-size="10" fill="{lock_colour}">'
             f"{escape(lock_text(row))}</text>",
             _bar(x, y, row["measured_ms"], _BLUE)]
    if row["blocks_writes"]:
        parts.append(f'<line x1="{x(row["limit_ms"]):.1f}" y1="{y - 2}" '
                     f'x2="{x(row["limit_ms"]):.1f}" y2="{y + 26}" stroke="{_RED}" '
                     f'stroke-dasharray="3,2" stroke-width="1.5"><title>max_lock_hold_ms for '
                     f'{escape(row["limit_for"])}: {_ms(row["limit_ms"])}</title></line>')
    if row["projected_ms"] is not None:
        parts.append(_bar(x, y + 12, row["projected_ms"], projected_colour))
    return "".join(parts)


def lock_text(row: dict) -> str:
    """The bar's lock: its mode, and whether (and against which limit) it is judged."""
    mode = row.get("mode") or "no lock measured"
    if row["blocks_writes"]:
        return (f"{mode}: blocks writes to {row['limit_for']}; limit {_ms(row['limit_ms'])}")
    return f"{mode}: reads and writes go on; no limit"


def _bar(x, y: int, ms: float, colour: str) -> str:
    end = max(x(ms), x(0) + 2)
    return (f'<rect x="{x(0):.1f}" y="{y}" width="{end - x(0):.1f}" height="10" rx="2" '
            f'fill="{colour}"/><text x="{end + 4:.1f}" y="{y + 9}" font-size="10" '
            f'fill="#1f2328">{_ms(ms)}</text>')


def _ms(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


# --- coverage matrix --------------------------------------------------------------------------

def coverage_data(report: Report) -> dict | None:
    data = report.data.get("coverage") if report.command == "plan" else report.data
    return data if data and data.get("hot_queries") is not None else None


def coverage_section(report: Report) -> str:
    data = coverage_data(report)
    if data is None:
        return ""
    queries, note = _touched(report, data["hot_queries"])
    redundant = {r["index"]: r for r in data.get("redundant_indexes", [])
                 if any(q["table"] == r["table"] for q in queries)}
    tables = {q["index"]: q["table"] for q in queries if q["index"]}
    tables.update({name: r["table"] for name, r in redundant.items()})
    columns = sorted(tables, key=lambda index: (tables[index], index))
    header = "".join(f'<th class="v{" r" if c in redundant else ""}"><span>{escape(c)}</span>'
                     "</th>" for c in ["no index", *columns])
    ordered = sorted(queries, key=lambda q: (q["covered"], not q["required"]))
    body = "".join(_coverage_row(q, columns, redundant) for q in ordered)
    served = sum(q["covered"] for q in queries)
    return (f'<section id="coverage"><h2>Coverage: {served} of {len(queries)} hot queries '
            f"served, {len(redundant)} redundant index(es)</h2>{note}{_legend_coverage()}"
            f'<div style="overflow:auto;max-height:620px"><table class="matrix"><tr>'
            f"<th>hot query</th>{header}</tr>{body}</table></div>{_MATRIX_STYLE}</section>")


def _touched(report: Report, queries: list[dict]) -> tuple[list[dict], str]:
    """A plan's matrix keeps the hot queries of the tables its pending SQL touches."""
    blocks = [sql for _, sql in pending_sql(report)]
    if report.command != "plan" or not blocks:
        return queries, ""
    tables = set(changed_tables(blocks, {})[0])
    kept = [q for q in queries if q["table"] in tables]
    note = (f'<p class="muted">The {len(kept)} hot queries of the {len(tables)} tables the '
            f"pending SQL touches ({', '.join(sorted(tables))}), of {len(queries)}; "
            "nivomigrate coverage shows them all.</p>")
    return kept, note


_MATRIX_STYLE = ("<style>.matrix td,.matrix th{border:1px solid #eaeef2;padding:2px 4px;"
                 "text-align:center}.matrix td:first-child{text-align:left;white-space:nowrap}"
                 ".matrix th.v{vertical-align:bottom;height:170px}.matrix th.v span{"
                 "writing-mode:vertical-rl;transform:rotate(180deg);font-weight:400;"
                 "font-size:11px}.matrix th.r{background:repeating-linear-gradient(45deg,"
                 "#f6f8fa,#f6f8fa 4px,#eaeef2 4px,#eaeef2 8px)}.served{background:#dafbe1;"
                 "color:#1a7f37}.gap{background:#ffebe9;color:#cf222e;font-weight:700}"
                 ".optgap{background:#fff8c5;color:#9a6700}.red{background:#eaeef2;"
                 "color:#59636e}</style>")


def _coverage_row(query: dict, columns: list[str], redundant: dict) -> str:
    gap = "" if query["covered"] else ("gap" if query["required"] else "optgap")
    cells = [f'<td class="{gap}" title="{escape(query.get("problem") or "")}">'
             f'{"✗" if gap else ""}</td>']
    for column in columns:
        if column == query["index"]:
            cells.append(f'<td class="served" title="served by {escape(column)}">✓</td>')
        elif column in redundant and redundant[column]["table"] == query["table"]:
            cells.append(f'<td class="red" title="redundant: {escape(redundant[column]["kept"])}'
                         ' covers it">·</td>')
        else:
            cells.append("<td></td>")
    optional = "" if query["required"] else ' <span class="muted">(optional)</span>'
    return (f'<tr><td><code>{escape(query["name"])}</code>{optional} <span class="muted">'
            f'{escape(query["table"])}</span></td>{"".join(cells)}</tr>')


def _legend_coverage() -> str:
    return ('<div class="legend"><span><i class="swatch" style="background:#dafbe1"></i>'
            'served</span><span><i class="swatch" style="background:#ffebe9"></i>gap (required)'
            '</span><span><i class="swatch" style="background:#fff8c5"></i>gap (optional)</span>'
            '<span><i class="swatch" style="background:#eaeef2"></i>redundant index</span></div>')


# --- changed tables ---------------------------------------------------------------------------

def pending_sql(report: Report) -> list[tuple[str, str]]:
    """Return (title, SQL) per pending revision, once, naming the environments it is pending in;
    for a promotion, the SQL it ran."""
    if report.command == "promote":
        ran = report.data.get("sql") or []
        where = report.data.get("environment")
        return [(f"{item['id']}: {item.get('file', '')} (ran on {where})", item["sql"])
                for item in ran if isinstance(item, dict) and item.get("sql")]
    shown = {s.title: s.text for s in report.sections if s.text}  # as steps, as plan shows it
    found: dict[str, dict] = {}
    for name, entry in (report.data.get("environments") or {}).items():
        for pending in (entry.get("pending") or []) if isinstance(entry, dict) else []:
            if isinstance(pending, dict) and pending.get("sql"):
                item = found.setdefault(pending["id"], {
                    **pending, "in": [],
                    "sql": shown.get(f"{name}: SQL of {pending['id']}") or pending["sql"]})
                item["in"].append(name)
    return [(f"{p['id']}: {p.get('file', '')} (pending in {', '.join(p['in'])})", p["sql"])
            for p in found.values()]


_NAME = r'(?:"?[\w$]+"?\.)?"?([\w$]+)"?'
_PATTERNS = (
    ("create-table", re.compile(rf"^create\s+table\s+(?:if\s+not\s+exists\s+)?{_NAME}", re.I)),
    ("drop-table", re.compile(rf"^drop\s+table\s+(?:if\s+exists\s+)?{_NAME}", re.I)),
    ("alter-table", re.compile(rf"^alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?{_NAME}\s+"
                               r"(.*)$", re.I | re.S)),
    ("create-index", re.compile(rf"^create\s+(?:unique\s+)?index\s+(?:concurrently\s+)?"
                                rf"(?:if\s+not\s+exists\s+)?{_NAME}\s+on\s+(?:only\s+)?{_NAME}"
                                r"(?:\s+using\s+\w+)?\s*\((.*)\)", re.I | re.S)),
    ("drop-index", re.compile(rf"^drop\s+index\s+(?:concurrently\s+)?(?:if\s+exists\s+)?{_NAME}",
                              re.I)),
)
_REFERENCES = re.compile(rf"references\s+{_NAME}", re.I)


def changed_tables(sql_blocks: list[str], index_tables: dict[str, str]) -> tuple[dict, set]:
    """Return ({table: [(sign, text)]}, {(table, referenced table)}) from DDL text.

    Written by hand rather than with a SQL parser: the diagram needs only which tables a
    statement names, and PostgreSQL's DDL puts them in fixed places. `index_tables` names the
    table of an index dropped by name (Prisma's `Table_columns_idx` is the fallback).
    """
    changes: dict[str, list[tuple[str, str]]] = {}
    edges: set[tuple[str, str]] = set()
    for statement in _statements(sql_blocks):
        for kind, pattern in _PATTERNS:
            match = pattern.search(statement)
            if match:
                table, item = _change(kind, match, index_tables)
                changes.setdefault(table, []).append(item)
                edges |= {(table, ref) for ref in _REFERENCES.findall(statement) if ref != table}
                break
    return changes, edges


def _statements(sql_blocks: list[str]) -> list[str]:
    text = "\n".join(sql_blocks)
    text = re.sub(r"--[^\n]*", "", text)
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", text) if s.strip()]


def _change(kind: str, match: re.Match, index_tables: dict[str, str]) -> tuple[str, tuple]:
    if kind == "create-table":
        return match[1], ("+", "new table")
    if kind == "drop-table":
        return match[1], ("−", "table dropped")
    if kind == "create-index":
        columns = " ".join(match[3].replace('"', "").split())
        return match[2], ("+", f"index ({columns}) {match[1]}")
    if kind == "drop-index":
        return index_tables.get(match[1], match[1].split("_")[0]), ("−", f"index {match[1]}")
    action = " ".join(match[2].replace('"', "").split())
    sign = "−" if action.lower().startswith("drop") else \
        "+" if action.lower().startswith("add") else "~"
    return match[1], (sign, action if len(action) <= 48 else action[:47] + "…")


def tables_section(report: Report) -> str:
    blocks = [sql for _, sql in pending_sql(report)]
    if not blocks:
        return ""
    known = {r["index"]: r["table"] for r in
             (coverage_data(report) or {}).get("redundant_indexes", [])}
    changes, edges = changed_tables(blocks, known)
    if not changes:
        return ""
    return (f'<section id="tables"><h2>Changed tables ({len(changes)})</h2>'
            f"{_diagram_svg(changes, edges)}</section>")


def _diagram_svg(changes: dict, edges: set) -> str:
    per_row, box_w, gap, max_lines, max_boxes = 4, 262, 14, 8, 16
    tables = sorted(changes, key=lambda t: (-len(changes[t]), t))[:max_boxes]
    heights = [30 + 15 * min(len(changes[t]), max_lines + 1) for t in tables]
    rows = [tables[i:i + per_row] for i in range(0, len(tables), per_row)]
    places, y = {}, 8
    for row in rows:
        row_h = max(heights[tables.index(t)] for t in row)
        for column, table in enumerate(row):
            places[table] = (8 + column * (box_w + gap), y, heights[tables.index(table)])
        y += row_h + gap
    lines = [_edge(places[a], places[b], box_w) for a, b in sorted(edges)
             if a in places and b in places]
    boxes = [_box(table, changes[table], places[table], box_w, max_lines) for table in tables]
    more = len(changes) - len(tables)
    note = (f'<text x="8" y="{y + 12}" font-size="12" fill="#59636e">… and {more} more '
            "table(s): see the SQL</text>") if more > 0 else ""
    width = 8 + per_row * (box_w + gap)
    return (f'<svg viewBox="0 0 {width} {y + (24 if more > 0 else 4)}" width="{width}" '
            f'role="img" aria-label="changed tables">{"".join(lines + boxes)}{note}</svg>')


def _box(table: str, items: list, place: tuple, width: int, max_lines: int) -> str:
    x, y, height = place
    colours = {"+": _GREEN, "−": _RED, "~": _AMBER}
    parts = [f'<rect x="{x}" y="{y}" width="{width}" height="{height}" rx="6" fill="#fff" '
             f'stroke="#8c959f"/><rect x="{x}" y="{y}" width="{width}" height="24" rx="6" '
             f'fill="#24292f"/><text x="{x + 10}" y="{y + 16}" font-size="13" fill="#fff" '
             f'font-weight="600">{escape(table)}</text>']
    shown = items if len(items) <= max_lines + 1 else items[:max_lines]
    for i, (sign, text) in enumerate(shown):
        label = text if len(text) <= 35 else text[:34] + "…"
        parts.append(f'<text x="{x + 10}" y="{y + 40 + 15 * i}" font-size="11" '
                     f'font-family="monospace" fill="{colours[sign]}"><title>{escape(text)}'
                     f"</title>{sign} {escape(label)}</text>")
    if len(shown) < len(items):
        parts.append(f'<text x="{x + 10}" y="{y + 40 + 15 * len(shown)}" font-size="11" '
                     f'fill="#59636e">… {len(items) - len(shown)} more</text>')
    return "".join(parts)


def _edge(start: tuple, end: tuple, width: int) -> str:
    (x1, y1, h1), (x2, y2, h2) = start, end
    return (f'<line x1="{x1 + width / 2}" y1="{y1 + h1 / 2}" x2="{x2 + width / 2}" '
            f'y2="{y2 + h2 / 2}" stroke="{_BLUE}" stroke-width="1.5" stroke-dasharray="5,3"/>')


# --- history ----------------------------------------------------------------------------------

def history_section(report: Report) -> str:
    if report.command != "history":
        return ""
    lanes = {name: runs for name, runs in (report.data.get("environments") or {}).items()
             if isinstance(runs, list)}
    runs = [run for lane in lanes.values() for run in lane]
    if not runs:
        return ('<section id="history"><h2>History</h2><p class="muted">no run recorded yet'
                "</p></section>")
    return (f'<section id="history"><h2>History: {len(runs)} run(s)</h2>'
            f"{_history_svg(lanes)}</section>")


_LABEL_ROWS = 4
_CHAR_PX = 6.4  # an 11 px label's width per character, for placing labels apart


def _history_svg(lanes: dict[str, list[dict]]) -> str:
    left, width, lane_h = 110, 1100, 40 + 16 * _LABEL_ROWS
    times = [_time(r[key]) for runs in lanes.values() for r in runs
             for key in ("started_at", "finished_at") if r.get(key)]
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    x = lambda t: left + (width - left - 40) * (_time(t) - start).total_seconds() / span  # noqa: E731
    parts, centres = [], {}
    for lane, (name, runs) in enumerate(lanes.items()):
        y = 20 + lane * lane_h
        parts.append(f'<line x1="{left}" y1="{y + 26}" x2="{width - 30}" y2="{y + 26}" '
                     f'stroke="#d0d7de"/><text x="8" y="{y + 30}" font-size="13" '
                     f'font-weight="600">{escape(name)}</text>')
        ends = [float("-inf")] * _LABEL_ROWS  # where each label row is free from
        for run in sorted(runs, key=lambda r: r["started_at"]):
            start_x, label = x(run["started_at"]), run_label(run)
            end_x = max(x(run["finished_at"]) if run.get("finished_at") else start_x,
                        start_x + 8)
            text_w = _CHAR_PX * len(label)
            begin = start_x if start_x + text_w <= width - 10 else end_x - text_w  # as _label
            row = next((r for r, end in enumerate(ends) if end < begin),
                       min(range(_LABEL_ROWS), key=ends.__getitem__))
            ends[row] = begin + text_w + 8
            parts.append(_run_mark(run, x, y, row, label, right=width - 10))
            centres[(name, run["id"])] = (start_x, y + 26)
    parts[:0] = _promotion_links(lanes, centres)  # under the bars and labels
    height = 20 + lane_h * len(lanes)
    axis = (f'<text x="{left}" y="{height + 4}" font-size="10" fill="#59636e">'
            f'{start:%Y-%m-%d %H:%M:%S}</text><text x="{width - 30}" y="{height + 4}" '
            f'font-size="10" text-anchor="end" fill="#59636e">{end:%Y-%m-%d %H:%M:%S}</text>')
    return (f'<svg viewBox="0 0 {width} {height + 10}" width="{width}" role="img" '
            f'aria-label="history timeline">{"".join(parts)}{axis}</svg>')


def run_label(run: dict) -> str:
    """`#5 promote → 0002 by ada`: the run, where it went, who ran it."""
    actor = f" by {run['actor']}" if run.get("actor") else ""
    return f"#{run['id']} {run['kind']} → {run.get('to_revision')}{actor}"


def _run_mark(run: dict, x, y: int, row: int, label: str, right: float) -> str:
    """The run's bar on its lane, and its label on the free label row `row` below it (ending
    at the bar's end when it would pass `right`)."""
    colour = {"passed": _GREEN, "failed": _RED}.get(run["status"], _GREY)
    x1 = x(run["started_at"])
    x2 = max(x(run["finished_at"]) if run.get("finished_at") else x1, x1 + 8)
    label_y = y + 46 + 16 * row
    return (f'<rect x="{x1:.1f}" y="{y + 20}" width="{x2 - x1:.1f}" height="12" rx="3" '
            f'fill="{colour}"><title>#{run["id"]} {escape(run["kind"])} {run["status"]}: '
            f'{escape(str(run.get("from_revision") or "base"))} → '
            f'{escape(str(run.get("to_revision")))}</title></rect>'
            f'<line x1="{x1:.1f}" y1="{y + 32}" x2="{x1:.1f}" y2="{label_y - 9}" '
            f'stroke="{colour}" stroke-width="0.8"/>'
            + _label(x1, x2, label_y, label, colour, right))


def _label(x1: float, x2: float, y: int, label: str, colour: str, right: float) -> str:
    anchor, at = ("end", x2) if x1 + _CHAR_PX * len(label) > right else ("start", x1)
    return (f'<text x="{at:.1f}" y="{y}" font-size="11" text-anchor="{anchor}" '
            f'fill="{colour}">{escape(label)}</text>')


def _promotion_links(lanes: dict, centres: dict) -> list[str]:
    """A dashed line from each promotion to the staging run it promoted."""
    links = []
    for name, runs in lanes.items():
        for run in runs:
            source = next(((lane, run["staging_run_id"]) for lane in lanes
                           if lane != name and (lane, run.get("staging_run_id")) in centres),
                          None)
            if source:
                (x1, y1), (x2, y2) = centres[source], centres[(name, run["id"])]
                links.append(f'<line x1="{x1:.1f}" y1="{y1}" x2="{x2:.1f}" y2="{y2}" '
                             f'stroke="{_BLUE}" stroke-dasharray="4,3"/>')
    return links


def _time(text) -> datetime:
    return text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
