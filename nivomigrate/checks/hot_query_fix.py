"""The index that closes a hot query's gap, as the statement a revision runs (CONCURRENTLY)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nivomigrate.policies.hot_queries import OrderKey, quote_name

if TYPE_CHECKING:
    from nivomigrate.policies.hot_queries import HotQuery

_MAX_IDENTIFIER = 63


def fix_statement(query: HotQuery, columns: list[str]) -> str:
    """Return the CREATE INDEX CONCURRENTLY that closes the gap of `query`.

    Keys: the equality columns in the order the policy lists them, then the ORDER BY keys
    (turned so the first is ascending: the index is scanned backward for the other way) or the
    range column. The name follows Prisma: `<Table>_<columns>_idx`, cut to 63 characters.
    """
    tail = list(query.tail)
    if tail and tail[0].is_descending:
        tail = [OrderKey(k.column, "asc" if k.is_descending else "desc",
                         None if k.nulls is None else ("last" if k.nulls == "first" else "first"))
                for k in tail]
    keys = [_key_sql(column, columns) for column in query.equality]
    keys += [_key_sql(key.column, columns) + _direction_sql(key) for key in tail]
    names = [*query.equality, *(key.column for key in tail)]
    name = index_name(query.table, names)
    return (f'CREATE INDEX CONCURRENTLY IF NOT EXISTS {quote_name(name)} '
            f'ON {quote_name(query.table)} ({", ".join(keys)});')


def index_name(table: str, columns: list[str]) -> str:
    """Name an index like Prisma: `<Table>_<col>_<col>_idx`, the prefix cut to fit 63."""
    parts = [re.sub(r"\W+", "_", column).strip("_") for column in columns]
    prefix = "_".join([table, *parts])
    return f"{prefix[: _MAX_IDENTIFIER - len('idx') - 1]}_idx"


def _key_sql(column: str, columns: list[str]) -> str:
    return quote_name(column) if column in columns else f"({column})"


def _direction_sql(key: OrderKey) -> str:
    text = " DESC" if key.is_descending else ""
    if key.nulls and key.is_nulls_first != key.is_descending:
        text += f" NULLS {key.nulls.upper()}"
    return text

