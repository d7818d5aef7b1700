"""Helpers for revision authors: online-safe DDL that is idempotent on a re-run.

Use inside a revision's `upgrade()`:

    from nivomigrate.ops import create_index_concurrently
    create_index_concurrently("Log_projectId_timestamp_idx", "Log", ['"projectId"', '"timestamp" DESC'])
"""

from __future__ import annotations

from alembic import op

_INVALID_INDEX_SQL = """
select 1 from pg_index i join pg_class c on c.oid = i.indexrelid
where c.relname = :name and not i.indisvalid
"""


def create_index_concurrently(
    name: str,
    table: str,
    keys: list[str],
    *,
    unique: bool = False,
    where: str | None = None,
    include: list[str] | None = None,
    using: str = "btree",
) -> None:
    """Build an index without blocking writes; rebuild it when a failed build left it invalid.

    Args:
        keys: key columns or expressions as SQL, quoted as needed (`'"createdAt" DESC'`).
    """
    import sqlalchemy as sa

    bind = op.get_bind()
    with op.get_context().autocommit_block():
        if bind.execute(sa.text(_INVALID_INDEX_SQL), {"name": name}).first():
            op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')
        op.execute(
            f'CREATE {"UNIQUE " if unique else ""}INDEX CONCURRENTLY IF NOT EXISTS "{name}" '
            f'ON "{table}" USING {using} ({", ".join(keys)})'
            + (f' INCLUDE ({", ".join(include)})' if include else "")
            + (f" WHERE {where}" if where else "")
        )


def drop_index_concurrently(name: str) -> None:
    """Drop an index without blocking reads and writes of its table; no error when absent."""
    with op.get_context().autocommit_block():
        op.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"')


def add_foreign_key_online(
    name: str, table: str, columns: list[str], referred: str, referred_columns: list[str],
    *, on_delete: str = "RESTRICT", on_update: str = "CASCADE",
) -> None:
    """Add a foreign key NOT VALID (a brief lock), then validate it without blocking writes."""
    cols = ", ".join(f'"{c}"' for c in columns)
    refs = ", ".join(f'"{c}"' for c in referred_columns)
    op.execute(
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ({cols}) '
        f'REFERENCES "{referred}" ({refs}) ON DELETE {on_delete} ON UPDATE {on_update} NOT VALID'
    )
    op.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{name}"')


def set_not_null_online(table: str, column: str) -> None:
    """Make a column NOT NULL through a validated CHECK, so no long ACCESS EXCLUSIVE scan."""
    check = f"{table}_{column}_not_null"
    op.execute(
        f'ALTER TABLE "{table}" ADD CONSTRAINT "{check}" CHECK ("{column}" IS NOT NULL) NOT VALID'
    )
    op.execute(f'ALTER TABLE "{table}" VALIDATE CONSTRAINT "{check}"')
    op.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET NOT NULL')
    op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{check}"')
