"""A revision's measured lock footprint: what each statement locked, for how long, on tables
of which size (measured by the runner, judged by the lock-footprint check, kept in the ledger).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nivomigrate.migrations import Revision

WRITE_BLOCKING_MODES = frozenset(
    {"ShareLock", "ShareRowExclusiveLock", "ExclusiveLock", "AccessExclusiveLock"})


# Statements whose work does not grow with the table (when they neither rewrite nor scan it).
_CATALOG_ONLY = re.compile(
    r"\bNOT\s+VALID\b|\bRENAME\b|\b(SET|DROP)\s+DEFAULT\b|\bDROP\s+CONSTRAINT\b"
    r"|\bDROP\s+COLUMN\b|\bADD\s+COLUMN\b|\bDROP\s+NOT\s+NULL\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class HeldLock:
    relation: str
    mode: str

    @property
    def blocks_writes(self) -> bool:
        return self.mode in WRITE_BLOCKING_MODES


@dataclass(frozen=True)
class TableFootprint:
    """A table a statement locked: its size before (staging and production) and what it did."""

    table: str
    rows: int | None
    bytes: int
    rewritten: bool
    scanned: bool
    production_rows: int | None = None
    production_bytes: int | None = None

    @property
    def scale(self) -> float:
        """Production's size over this database's (bytes, else rows); 1 when unknown."""
        if self.production_bytes is not None and self.bytes > 0:
            return self.production_bytes / self.bytes
        if self.production_rows and self.rows:
            return self.production_rows / self.rows
        return 1.0


@dataclass(frozen=True)
class StatementFootprint:
    sql: str
    duration_s: float
    locks: tuple[HeldLock, ...]
    tables: tuple[TableFootprint, ...]

    def projected_s(self, table: TableFootprint) -> float:
        """Return the statement's duration projected onto production.

        Linear in size, except for statements that only change the catalog (NOT VALID,
        renames, defaults, dropped constraints, columns added without a rewrite): those take
        as long on any size, and scaling them would invent a long lock.
        """
        if not table.rewritten and not table.scanned and _CATALOG_ONLY.search(self.sql):
            return self.duration_s
        return self.duration_s * table.scale


@dataclass(frozen=True)
class AppliedRevision:
    revision: Revision
    attempts: int
    duration_s: float
    footprint: tuple[StatementFootprint, ...] = ()
