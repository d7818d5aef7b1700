"""The gate's drift fact: the schema a database should have at its recorded revision."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.checks import drift
from nivomigrate.engine.adoption import expected_snapshot
from nivomigrate.snapshot import take_snapshot

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.findings import Finding


def drift_findings(settings: Settings, conn: psycopg.Connection, current: str | None,
                   environment: str, *, allowed: bool = False) -> list[Finding]:
    """Compare a database with the schema its recorded revision should have.

    For a database that baseline adopted at `current` with an adoption revision not run yet,
    that is the schema at `current` plus the adoption revision's SQL.
    """
    expected = expected_snapshot(settings, conn, current)
    return drift.findings(expected, take_snapshot(conn), current, environment, allowed=allowed)
