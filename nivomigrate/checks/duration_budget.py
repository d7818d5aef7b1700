"""duration-budget: the pending statements must finish on prod within each table's window.

Problem: a statement that takes 3 s on staging's 10,000 rows takes 10 minutes on prod's 2
million, and the promotion overruns the window in which the table may be busy.
Do instead: split the work (CONCURRENTLY, NOT VALID + VALIDATE, batched backfills in their own
revisions), promote in a quieter window, or declare a longer `duration_window_s` for the table.

Every statement's time was measured on staging by `apply staging` (the runner's footprint, in
staging's ledger). It is projected onto the promoted database by a scaling law chosen from the
statement's kind alone, before any measurement is looked at (`scaling_law`): linear in the
table's size (production bytes over staging bytes, rows when bytes are unknown) for what scans,
rewrites or builds; constant for what only changes the catalog. The projected seconds of the
pending statements that work on a table are added up and judged against the table's window
(`duration_window_s` in policies/promotion.yaml). `plan` shows every projection; `promote`
refuses to start when a window is exceeded, and records projected against actual per revision
in its ledger row, from which `history` reports the projection's error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Section, Severity
from nivomigrate.sizes import table_sizes

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.ledger import Run
    from nivomigrate.policies.promotion import PromotionPolicy

NAME = "duration-budget"
LEDGER_KEY = "duration_budget"
# Kinds (revision_sql.Change.kind, or the parsed statement's) whose work does not grow with the
# table; everything else (index builds, type changes, validations, data changes, what nivomigrate
# cannot name) is linear.
CONSTANT_KINDS = frozenset({"create_table", "drop_table", "rename_table", "rename_column",
                            "drop_column", "add_column", "add_constraint_not_valid", "truncate",
                            "other_alter", "drop_index"})


@dataclass(frozen=True)
class Projection:
    """One statement measured on staging and projected onto `environment`."""

    revision: str
    sql: str
    kind: str
    law: str                      # "linear" or "constant"
    measured_s: float
    tables: tuple[str, ...]
    scale: float                  # production size over staging size (1 for constant)
    projected_s: float
    basis: str                    # "bytes 1.0 MB → 210 MB", "catalog only"


def scaling_law(sql: str) -> tuple[str, str]:
    """Return (kind, law) of a statement from its parsed SQL: law is linear or constant."""
    from nivomigrate.checks.revision_sql import parse_changes
    from nivomigrate.sql import exp, parse

    changes = parse_changes(sql)
    if not changes:
        tree = parse(sql)
        kind = "drop_index" if isinstance(tree, exp.Drop) and tree.kind == "INDEX" else "other"
        return kind, "constant" if kind in CONSTANT_KINDS else "linear"
    kinds = [_kind(change) for change in changes]
    law = "constant" if all(kind in CONSTANT_KINDS for kind in kinds) else "linear"
    return ", ".join(dict.fromkeys(kinds)), law


def _kind(change) -> str:
    if change.kind == "add_column" and change.volatile_default:
        return "add_column_rewrite"
    if change.kind == "add_constraint" and change.not_valid:
        return "add_constraint_not_valid"
    return change.kind


def project(run: Run, pending: set[str], conn: psycopg.Connection) -> list[Projection]:
    """Project the statements of `run`'s footprints of the `pending` revisions onto `conn`'s
    table sizes (read-only); [] when the run measured none."""
    measured = [(entry["footprint"]["revision"], statement) for entry in run.checks
                if isinstance(entry, dict) and "footprint" in entry
                and entry["footprint"]["revision"] in pending
                for statement in entry["footprint"]["statements"]]
    sizes = table_sizes(conn, {table["table"] for _, s in measured for table in s["tables"]})
    return [project_statement(revision, statement, sizes) for revision, statement in measured]


def project_statement(revision: str, statement: dict, sizes: dict) -> Projection:
    """Project one measured statement (footprint JSON: sql, duration_s, tables[{table, rows,
    bytes}]) onto `sizes` (table -> (rows, bytes) on the promoted database)."""
    kind, law = scaling_law(statement["sql"])
    tables = tuple(table["table"] for table in statement["tables"])
    scale, basis = 1.0, "catalog only" if law == "constant" else "size unknown"
    if law == "linear":
        ratios = [_ratio(table, sizes.get(table["table"])) for table in statement["tables"]]
        known = [ratio for ratio in ratios if ratio is not None]
        if known:
            scale, basis = max(known)
    measured = float(statement["duration_s"])
    return Projection(revision, statement["sql"], kind, law, measured, tables, scale,
                      measured * scale, basis)


def _ratio(table: dict, production: tuple[int, int] | None) -> tuple[float, str] | None:
    from nivomigrate.sizes import format_bytes

    if production is None:
        return None
    rows, size = production
    if table.get("bytes"):
        return size / table["bytes"], f"{format_bytes(table['bytes'])} → {format_bytes(size)}"
    if table.get("rows"):
        return rows / table["rows"], f"{table['rows']} → {rows} rows"
    return None


def findings(projections: list[Projection], policy: PromotionPolicy, environment: str,
             files: dict[str, str] | None = None) -> list[Finding]:
    """Judge each table's projected total against its window (none declared: no judgement)."""
    found = []
    for table in sorted({t for p in projections for t in p.tables}):
        window = policy.duration_window(table)
        mine = [p for p in projections if table in p.tables]
        total = sum(p.projected_s for p in mine)
        if window is None or total <= window:
            continue
        worst = max(mine, key=lambda p: p.projected_s)
        found.append(Finding(
            check=NAME, severity=Severity.ERROR,
            message=f'the pending statements work on "{table}" for ~{total:.1f} s projected on '
            f"{environment} (window {window:g} s)",
            location=Location((files or {}).get(worst.revision), None, table),
            help="split the work (CONCURRENTLY, NOT VALID + VALIDATE, batched backfills in "
            "their own revisions) or raise duration_window_s for this table in "
            "policies/promotion.yaml",
            evidence=tuple((f"{p.revision}: {' '.join(p.sql.split())[:80]}",
                            f"{p.measured_s:.3f} s on staging × {p.scale:.1f} ({p.law}, "
                            f"{p.basis}) = {p.projected_s:.1f} s") for p in mine),
            environment=environment))
    return found


def section(projections: list[Projection], policy: PromotionPolicy, environment: str,
            run_id: int) -> Section:
    """The projection as a table for `plan`."""
    rows = tuple((p.revision, " ".join(p.sql.split())[:60], p.kind, p.law,
                  f"{p.measured_s * 1000:.0f} ms", f"×{p.scale:.1f} ({p.basis})",
                  f"{p.projected_s:.3f} s",
                  ", ".join(_window_text(policy.duration_window(t)) for t in p.tables) or "-")
                 for p in projections)
    return Section(f"{environment}: duration projected from staging's run #{run_id}",
                   ("revision", "statement", "kind", "law", "staging", "scale",
                    f"projected on {environment}", "window"), rows)


def _window_text(window: float | None) -> str:
    return "none" if window is None else f"{window:g} s"


def ledger_entry(projections: list[Projection], applied) -> dict:
    """Projected against actual seconds per applied revision, for the promotion's ledger row."""
    return {LEDGER_KEY: [{
        "revision": item.revision.id,
        "projected_s": round(sum(p.projected_s for p in projections
                                 if p.revision == item.revision.id), 4),
        "actual_s": round(item.duration_s, 4),
    } for item in applied]}


def projection_errors(checks: list) -> list[dict]:
    """Return the recorded {revision, projected_s, actual_s} of one run's ledger checks."""
    return [row for entry in checks if isinstance(entry, dict) and LEDGER_KEY in entry
            for row in entry[LEDGER_KEY]]
