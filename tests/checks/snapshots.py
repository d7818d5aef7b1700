"""Snapshots of real databases built from SQL, for the checks that judge two schemas."""

from __future__ import annotations

import psycopg

from nivomigrate.snapshot import Snapshot, take_snapshot

TABLE = 'create table "Device" (id bigint primary key, "projectId" text not null)'


def snapshot_of(make_database, *statements: str) -> Snapshot:
    """Create a database, run `statements` in it, and return its snapshot."""
    url = make_database("nivo_check")
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)
        return take_snapshot(conn)
