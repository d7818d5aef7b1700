"""Sizes as people read them: `1.5 MB` (powers of 1024, as pg_size_pretty), `12,345 rows`."""

from __future__ import annotations


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
