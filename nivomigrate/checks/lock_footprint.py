"""lock-footprint: a write-blocking lock measured on staging must fit prod's limit.

Problem: a lock that staging held for 40 ms on 10,000 rows holds writes for minutes on prod's
millions. The runner measures each statement's locks and time on staging; this check projects
them onto production's table sizes and judges them against policies/promotion.yaml.
Do instead: the online form (CONCURRENTLY, NOT VALID + VALIDATE, nivomigrate.ops).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.sizes import format_bytes

if TYPE_CHECKING:
    from nivomigrate.footprint import AppliedRevision
    from nivomigrate.policies.promotion import PromotionPolicy

NAME = "lock-footprint"


def footprint_findings(applied: list[AppliedRevision], policy: PromotionPolicy) -> list[Finding]:
    """Judge measured footprints: a write-blocking lock held (projected onto production) longer
    than the table's limit, or a rewrite of a table above `max_rewrite_bytes`, is an ERROR; any
    other write-blocking lock is a WARNING."""
    findings = []
    for result in applied:
        for statement in result.footprint:
            for table in statement.tables:
                finding = _judge(result, statement, table, policy)
                if finding is not None:
                    findings.append(finding)
    return findings


def _judge(result, statement, table, policy) -> Finding | None:

    modes = [lock.mode for lock in statement.locks if lock.relation == table.table
             and lock.blocks_writes]
    projected_ms = statement.projected_s(table) * 1000
    limit_ms = policy.lock_hold_limit_ms(table.table)
    size = table.production_bytes if table.production_bytes is not None else table.bytes
    where = "production" if table.production_bytes is not None else "this database"
    evidence = (("statement", statement.sql),
                ("measured",
                 f"{statement.duration_s * 1000:.0f} ms on {format_bytes(table.bytes)}"),
                ("projected", f"{projected_ms:.0f} ms on {format_bytes(size)} ({where})"),
                ("locks", ", ".join(modes) or "none that block writes"))
    location = Location(str(result.revision.path), None, table.table)
    if table.rewritten and size > policy.max_rewrite_bytes:
        return Finding(NAME, Severity.ERROR,
                       f'the statement rewrites "{table.table}" ({format_bytes(size)} in {where}, '
                       f"limit {format_bytes(policy.max_rewrite_bytes)})", location,
                       help="avoid the rewrite: add the column without a volatile default, "
                            "or a new column + batched backfill instead of a type change",
                       evidence=evidence)
    if not modes:
        return None
    if projected_ms > limit_ms:
        return Finding(NAME, Severity.ERROR,
                       f'{modes[-1]} on "{table.table}" blocks writes for ~{projected_ms:.0f} ms '
                       f"projected on {where} (limit {limit_ms} ms)", location,
                       help="use the online form (CONCURRENTLY, NOT VALID + VALIDATE, "
                            "nivomigrate.ops), or raise max_lock_hold_ms for this table",
                       evidence=evidence)
    return Finding(NAME, Severity.WARNING,
                   f'{modes[-1]} on "{table.table}" blocks writes (~{projected_ms:.0f} ms '
                   f"projected on {where}, limit {limit_ms} ms)", location, evidence=evidence)
