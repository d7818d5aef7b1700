"""Helpers for revision authors: online-safe DDL that is idempotent on a re-run.

Use inside a revision's `upgrade()` (`nivomigrate revision -m` writes these calls itself):

    from nivomigrate.ops import create_index_concurrently
    create_index_concurrently("Log_projectId_timestamp_idx", "Log", ["projectId", "timestamp DESC"])

Names are plain: each helper quotes them. A key or an INCLUDE column that is a plain column name
(optionally with ASC/DESC and NULLS FIRST/LAST) is quoted where PostgreSQL needs it; one that is
already quoted or is an expression (`lower(email)`) is used as written.

Each helper commits what came before it in the revision (alembic's autocommit block) and runs
its statements outside a transaction, so a lock is held only for its own statement. Run again
after an interruption, each one finishes the job: an index left INVALID by a failed
CONCURRENTLY build is dropped and rebuilt, a constraint left NOT VALID is validated. In
alembic's offline (`--sql`) mode they emit the same statements without the repair checks.
"""

from __future__ import annotations

import re

from alembic import op

from nivomigrate.quoting import identifier

_INVALID_INDEX_SQL = """
select 1 from pg_index i
join pg_class c on c.oid = i.indexrelid
join pg_namespace n on n.oid = c.relnamespace
where c.relname = :name and n.nspname = any(current_schemas(false)) and not i.indisvalid
"""
_CONSTRAINT_SQL = """
select convalidated from pg_constraint
where conname = :name and conrelid = to_regclass(quote_ident(:table))
"""
_NOT_NULL_SQL = """
select attnotnull from pg_attribute
where attrelid = to_regclass(quote_ident(:table)) and attname = :column
"""
_MAX_IDENTIFIER = 63
_PLAIN_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_$]*)((?: (?:ASC|DESC))?(?: NULLS (?:FIRST|LAST))?)",
                        re.I)


def key_sql(key: str) -> str:
    """Return an index key as SQL: a plain column name (with its ordering) quoted where
    PostgreSQL needs it (`projectId` -> `"projectId"`, `id` stays `id`), anything else as is."""
    from sqlalchemy.dialects import postgresql

    plain = _PLAIN_KEY.fullmatch(key.strip())
    if plain is None:
        return key
    column, ordering = plain.groups()
    return postgresql.dialect().identifier_preparer.quote(column) + ordering


def _offline() -> bool:
    return op.get_context().as_sql


def _scalar(sql: str, **params):
    import sqlalchemy as sa

    row = op.get_bind().execute(sa.text(sql), params).first()
    return None if row is None else row[0]


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
        keys: column names (`"createdAt DESC"`, quoted here where needed) or SQL
            expressions, used as written (`'lower("email")'`).
    """
    create = (
        f'CREATE {"UNIQUE " if unique else ""}INDEX CONCURRENTLY IF NOT EXISTS {identifier(name)} '
        f'ON {identifier(table)} USING {using} ({", ".join(key_sql(k) for k in keys)})'
        + (f' INCLUDE ({", ".join(key_sql(c) for c in include)})' if include else "")
        + (f" WHERE {where}" if where else "")
    )
    with op.get_context().autocommit_block():
        if not _offline() and _scalar(_INVALID_INDEX_SQL, name=name):
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {identifier(name)}")
        op.execute(create)


def drop_index_concurrently(name: str) -> None:
    """Drop an index without blocking reads and writes of its table; no error when absent."""
    with op.get_context().autocommit_block():
        op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {identifier(name)}")


def add_foreign_key_online(
    name: str, table: str, columns: list[str], referred: str, referred_columns: list[str],
    *, on_delete: str = "RESTRICT", on_update: str = "CASCADE", replaces: str | None = None,
) -> None:
    """Add a foreign key NOT VALID (a brief lock), commit, then validate it without blocking
    writes (SHARE UPDATE EXCLUSIVE); skips what a previous run already did.

    Args:
        replaces: the constraint this one replaces (an `onDelete` change): it is dropped in
            the same transaction that adds the new one NOT VALID, so the table is never
            without its foreign key.
    """
    cols = ", ".join(identifier(c) for c in columns)
    refs = ", ".join(identifier(c) for c in referred_columns)
    add = (f"ALTER TABLE {identifier(table)} ADD CONSTRAINT {identifier(name)} "
           f"FOREIGN KEY ({cols}) REFERENCES {identifier(referred)} ({refs}) "
           f"ON DELETE {on_delete} ON UPDATE {on_update} NOT VALID")
    if replaces is not None:
        if _offline() or _scalar(_CONSTRAINT_SQL, name=name, table=table) is None or \
                replaces == name:
            op.execute(f"ALTER TABLE {identifier(table)} "
                       f"DROP CONSTRAINT IF EXISTS {identifier(replaces)}")
            op.execute(add)
        validate_constraint_online(name, table)
        return
    with op.get_context().autocommit_block():
        validated = None if _offline() else _scalar(_CONSTRAINT_SQL, name=name, table=table)
        if validated is None:
            op.execute(add)
        if not validated:
            op.execute(f"ALTER TABLE {identifier(table)} VALIDATE CONSTRAINT {identifier(name)}")


def validate_constraint_online(name: str, table: str) -> None:
    """VALIDATE a NOT VALID constraint outside any transaction (writes go on); a no-op when
    it is already valid."""
    with op.get_context().autocommit_block():
        if _offline() or _scalar(_CONSTRAINT_SQL, name=name, table=table) is False:
            op.execute(f"ALTER TABLE {identifier(table)} VALIDATE CONSTRAINT {identifier(name)}")


def add_check_online(name: str, table: str, condition: str) -> None:
    """Add a CHECK NOT VALID (a brief lock), then validate it without blocking writes.

    Args:
        condition: the SQL expression, as PostgreSQL reads it (`'"price" >= 0'`).
    """
    with op.get_context().autocommit_block():
        validated = None if _offline() else _scalar(_CONSTRAINT_SQL, name=name, table=table)
        if validated is None:
            op.execute(f"ALTER TABLE {identifier(table)} ADD CONSTRAINT {identifier(name)} "
                       f"CHECK ({condition}) NOT VALID")
        if not validated:
            op.execute(f"ALTER TABLE {identifier(table)} VALIDATE CONSTRAINT {identifier(name)}")


def add_unique_online(name: str, table: str, columns: list[str]) -> None:
    """Add a UNIQUE constraint without blocking writes: build its unique index CONCURRENTLY,
    then attach it (`ADD CONSTRAINT ... UNIQUE USING INDEX`, a brief lock)."""
    create_index_concurrently(name, table, columns, unique=True)
    with op.get_context().autocommit_block():
        if _offline() or _scalar(_CONSTRAINT_SQL, name=name, table=table) is None:
            op.execute(f"ALTER TABLE {identifier(table)} ADD CONSTRAINT {identifier(name)} "
                       f"UNIQUE USING INDEX {identifier(name)}")


def not_null_check_name(table: str, column: str) -> str:
    """Return the name of the temporary CHECK that `set_not_null_online` uses (<= 63 bytes)."""
    name = f"{table}_{column}_not_null"
    return name if len(name.encode()) <= _MAX_IDENTIFIER else name[-_MAX_IDENTIFIER:]


def set_not_null_online(table: str, column: str) -> None:
    """Make a column NOT NULL without a long ACCESS EXCLUSIVE scan: CHECK (col IS NOT NULL)
    NOT VALID, VALIDATE it (writes go on), SET NOT NULL (PostgreSQL 12+ trusts the check and
    skips the scan), drop the check; each step in its own transaction, skipped when done."""
    check = not_null_check_name(table, column)
    alter, constraint = f"ALTER TABLE {identifier(table)}", identifier(check)
    with op.get_context().autocommit_block():
        if not _offline() and _scalar(_NOT_NULL_SQL, table=table, column=column):
            op.execute(f"{alter} DROP CONSTRAINT IF EXISTS {constraint}")
            return
        validated = None if _offline() else _scalar(_CONSTRAINT_SQL, name=check, table=table)
        if validated is None:
            op.execute(f"{alter} ADD CONSTRAINT {constraint} "
                       f"CHECK ({identifier(column)} IS NOT NULL) NOT VALID")
        if not validated:
            op.execute(f"{alter} VALIDATE CONSTRAINT {constraint}")
        op.execute(f"{alter} ALTER COLUMN {identifier(column)} SET NOT NULL")
        op.execute(f"{alter} DROP CONSTRAINT {constraint}")
