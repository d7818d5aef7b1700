"""The indexes of a database's application tables, as the catalog describes them
(`indexes.sql`); read by the coverage checks and the redundant-index check.

Which tables are the application's is the catalog floor's (`indexes.sql` runs over
`nivomigrate/catalog/managed.sql`, the migration ledgers' tables in). The index facts stay
their own query because their readers are the planner's checks (hot queries under EXPLAIN,
hypothetical indexes): they need what the floor's rows, made to compare two schemas, do not
keep: sizes on disk, OIDs, each key's options, operator class and collation.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

_INDEXES_SQL = resources.files(__package__).joinpath("indexes.sql").read_text()
_DESC, _NULLS_FIRST = 1, 2  # bits of pg_index.indoption


@dataclass(frozen=True)
class IndexKey:
    """One key column of an index: its name (None for an expression), SQL and options."""

    column: str | None
    definition: str
    is_descending: bool
    is_nulls_first: bool
    opclass: int = 0
    collation: int = 0


@dataclass(frozen=True)
class IndexInfo:
    """An index as the catalog describes it (`indexes.sql`, one row)."""

    schema: str
    table: str
    name: str
    method: str
    is_unique: bool
    is_primary: bool
    is_valid: bool
    is_ready: bool
    keys: tuple[IndexKey, ...]
    include: tuple[str, ...]
    predicate: str | None
    constraint: str | None
    constraint_type: str | None
    is_referenced: bool
    size_bytes: int
    definition: str
    oid: int = 0

    @property
    def is_usable(self) -> bool:
        return self.is_valid and self.is_ready

    @property
    def kind(self) -> str:
        if self.is_primary:
            return "primary key"
        if self.constraint_type == "u":
            return "unique constraint"
        return "unique index" if self.is_unique else "index"


def read_indexes(conn: psycopg.Connection) -> list[IndexInfo]:
    """Return every index of the application's tables (not pg_catalog, not the ledger, not
    the platform's: nivomigrate/platform.py)."""
    from psycopg.rows import dict_row

    from nivomigrate import catalog
    from nivomigrate.platform import read_platform

    parameters = catalog.parameters(read_platform(conn), exclude_tables=frozenset())
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(catalog.query(_INDEXES_SQL), parameters).fetchall()
    return [_index(row) for row in rows]


def _index(row: dict) -> IndexInfo:
    count = row["key_count"]
    keys = tuple(
        IndexKey(
            column=row["column_names"][k],
            definition=row["column_defs"][k],
            is_descending=bool(row["key_options"][k] & _DESC),
            is_nulls_first=bool(row["key_options"][k] & _NULLS_FIRST),
            opclass=row["key_opclasses"][k],
            collation=row["key_collations"][k],
        )
        for k in range(count)
    )
    return IndexInfo(
        schema=row["schema_name"], table=row["table_name"], name=row["index_name"],
        method=row["method"], is_unique=row["is_unique"], is_primary=row["is_primary"],
        is_valid=row["is_valid"], is_ready=row["is_ready"], keys=keys,
        include=tuple(row["column_defs"][count:]), predicate=row["predicate"],
        constraint=row["constraint_name"], constraint_type=row["constraint_type"],
        is_referenced=row["is_referenced"], size_bytes=row["size_bytes"],
        definition=row["definition"], oid=row["index_oid"],
    )
