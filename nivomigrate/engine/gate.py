"""The gate's drift fact: the schema a database should have at its recorded revision."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.checks import drift
from nivomigrate.engine.adoption import expected_snapshot
from nivomigrate.snapshot import take_snapshot

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings


def drift_difference(settings: Settings, conn: psycopg.Connection,
                     current: str | None) -> drift.Drift:
    """Compare a database with the schema its recorded revision should have.

    For a database that baseline adopted at `current` with an adoption revision not run yet,
    that is the schema at `current` plus the adoption revision's SQL.
    """
    return drift.difference(expected_snapshot(settings, conn, current), take_snapshot(conn))
