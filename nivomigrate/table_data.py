"""What a table holds, as a downgrade would keep or lose it: its columns, row count and a
checksum of its rows (the way-back certificate, docs/rollback.md).

The checksum of a table over some of its columns is the sum, over the rows, of the first 60
bits of `md5(row(<columns>)::text)`: it does not depend on row order, so it needs no sort and
no key. Its cost is one sequential read of the table with one md5 per row, about what
`count(*)` plus a text export of the rows costs (on a 1 GB table, seconds to tens of seconds);
`way_back.max_checksum_rows` in policies/promotion.yaml bounds it: a larger table is counted
only (`checksum` None).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# The managed tables (nivomigrate/catalog/managed.sql) and their columns, partitions left out.
_COLUMNS_SQL = """
select c.nspname::text, c.relname::text, a.attname::text,
       greatest(pc.reltuples, 0)::bigint
from managed_class c
join pg_class pc on pc.oid = c.oid
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where c.relkind in ('r', 'p') and not c.relispartition
order by 1, 2, 3
"""


@dataclass(frozen=True)
class Table:
    """A table's schema and name; `str()` is `schema.name`."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class TableShape:
    """A table's columns (sorted) and the catalog's row estimate."""

    table: Table
    columns: tuple[str, ...]
    estimated_rows: int


def table_shapes(conn: psycopg.Connection) -> dict[Table, TableShape]:
    """Return the user tables (not nivomigrate's, alembic's or the platform's) and columns."""
    from nivomigrate import catalog

    with conn.cursor() as cur:
        cur.execute(catalog.query(_COLUMNS_SQL), catalog.managed_parameters(cur))
        rows = cur.fetchall()
    columns: dict[Table, list[str]] = {}
    estimates: dict[Table, int] = {}
    for schema, name, column, estimate in rows:
        table = Table(schema, name)
        columns.setdefault(table, []).append(column)
        estimates[table] = estimate
    return {table: TableShape(table, tuple(sorted(names)), estimates[table])
            for table, names in columns.items()}


def count_and_checksum(conn: psycopg.Connection, table: Table, columns: tuple[str, ...], *,
                       with_checksum: bool = True) -> tuple[int, str | None]:
    """Return the table's row count and the checksum of `columns` (None without)."""
    from psycopg import sql

    row = sql.SQL("row({})::text").format(sql.SQL(", ").join(map(sql.Identifier, columns)))
    checksum = (sql.SQL("coalesce(sum(('x' || left(md5({}), 15))::bit(60)::bigint), 0)::text")
                .format(row) if with_checksum and columns else sql.SQL("null"))
    query = sql.SQL("select count(*), {} from {}.{}").format(
        checksum, sql.Identifier(table.schema), sql.Identifier(table.name))
    count, total = conn.execute(query).fetchone()
    return count, total


def filled_values(conn: psycopg.Connection, table: Table,
                  columns: tuple[str, ...]) -> dict[str, int]:
    """Return, per column, how many rows hold a value (not NULL)."""
    from psycopg import sql

    if not columns:
        return {}
    query = sql.SQL("select {} from {}.{}").format(
        sql.SQL(", ").join(sql.SQL("count({})").format(sql.Identifier(c)) for c in columns),
        sql.Identifier(table.schema), sql.Identifier(table.name))
    return dict(zip(columns, conn.execute(query).fetchone(), strict=True))
