"""Table sizes: read from the catalog, and written as people read them: `1.5 MB` (powers of
1024, as pg_size_pretty), `12,345 rows`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.quoting import identifier

if TYPE_CHECKING:
    from collections.abc import Iterable

    import psycopg

_SIZES_SQL = """
select c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid)
from unnest(%s::text[]) as t(name) join pg_class c on c.oid = to_regclass(t.name)
"""


def table_sizes(conn: psycopg.Connection, tables: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Return table -> (estimated rows, total bytes) for the tables that exist, read-only
    (never analysed: 0 rows)."""
    names = sorted(set(tables))
    if not names:
        return {}
    with conn.transaction(force_rollback=True):
        rows = conn.execute(_SIZES_SQL, ([identifier(name) for name in names],)).fetchall()
    return {table: (max(count, 0), size) for table, count, size in rows}


def format_bytes(size: int | float | None) -> str:
    """Return a byte count as `512 B`, `8.0 kB`, `1.5 MB`; `size unknown` for None."""
    if size is None:
        return "size unknown"
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def format_rows(rows: int | float | None) -> str:
    """Return a row count as `12,345 rows`; `rows unknown` for None (never analysed)."""
    return "rows unknown" if rows is None else f"{int(rows):,} rows"
