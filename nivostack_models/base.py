"""Declarative base and helpers that reproduce the DDL Prisma emits for PostgreSQL.

NivoStack's databases were created by Prisma, so these models must describe exactly what
Prisma made, checked against `tests/fixtures/prisma/nivostack_prisma.sql` (Prisma's own
output). What Prisma does, and where it is handled here:

- table = model name, column = field name, both quoted as written: attributes keep the
  Prisma field names (camelCase), so a model reads one to one against the .prisma file;
- scalar types: `TYPE_MAP` (DateTime is TIMESTAMP(3) without time zone; Json is JSONB;
  lists such as String[] are arrays that Prisma leaves NULLable);
- `@default(now())` is `DEFAULT CURRENT_TIMESTAMP`, other literals `db_default()`;
  `@updatedAt` and `cuid()` are done by the client and have no database default;
- names of keys and indexes: `prisma_name()`, used by the naming convention of `Base.metadata`;
- `@unique` / `@@unique` are unique indexes, not constraints: `unique_index()`;
- relations: `references()`, always ON UPDATE CASCADE;
- enums: `prisma_enum()`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from sqlalchemy import (
    Boolean,
    Column,
    Constraint,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    TextClause,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, ENUM, JSONB, TIMESTAMP
from sqlalchemy.orm import DeclarativeBase, mapped_column

__all__ = [
    "NOW",
    "TYPE_MAP",
    "Base",
    "Json",
    "db_default",
    "index",
    "prisma_enum",
    "prisma_metadata",
    "prisma_name",
    "references",
    "unique_index",
]

#: PostgreSQL's limit on identifier length (NAMEDATALEN - 1), which Prisma respects.
MAX_IDENTIFIER_LENGTH = 63

#: A Prisma `Json` field: `Mapped[Json]`, or `Mapped[Json | None]` for `Json?`.
Json = Annotated[Any, mapped_column(JSONB)]

#: Python annotation -> column type, as Prisma maps its scalar types.
TYPE_MAP: dict[Any, Any] = {
    str: Text(),
    int: Integer(),
    float: Double(),
    bool: Boolean(),
    datetime: TIMESTAMP(precision=3),
    list[str]: ARRAY(Text()),
    list[int]: ARRAY(Integer()),
}

#: `@default(now())`.
NOW = text("CURRENT_TIMESTAMP")

OnDelete = Literal["Cascade", "Restrict", "NoAction", "SetNull", "SetDefault"]

_REFERENTIAL_ACTIONS: dict[str, str] = {
    "Cascade": "CASCADE",
    "Restrict": "RESTRICT",
    "NoAction": "NO ACTION",
    "SetNull": "SET NULL",
    "SetDefault": "SET DEFAULT",
}


def prisma_name(constraint: Constraint | Index, table: Table) -> str:
    """Name a primary key, foreign key or index the way Prisma does.

    `<Model>_pkey`, `<Model>_<columns>_fkey`, `<Model>_<columns>_key` for unique indexes and
    `<Model>_<columns>_idx` for the others, columns joined by `_`. Past 63 characters Prisma
    cuts the part before the suffix, so the suffix always survives
    (`..._someVeryLongC_key`, see `tests/fixtures/prisma/nivostack_prisma_long_name_probe.sql`).

    Raises:
        TypeError: for a kind of constraint Prisma never creates (unique, check).
    """
    if isinstance(constraint, PrimaryKeyConstraint):
        return _truncate(table.name, "pkey")
    if isinstance(constraint, ForeignKeyConstraint):
        suffix, columns = "fkey", [column.name for column in constraint.columns]
    elif isinstance(constraint, Index):
        suffix = "key" if constraint.unique else "idx"
        columns = [_column_name(expression) for expression in constraint.expressions]
    else:
        raise TypeError(f"Prisma creates no {type(constraint).__name__} on {table.name}")
    return _truncate("_".join([table.name, *columns]), suffix)


def _column_name(expression: Any) -> str:
    if isinstance(expression, Column):
        return expression.name
    if isinstance(expression, str):
        return expression
    raise TypeError(f"Prisma indexes only plain columns, not {expression!r}")


def _truncate(prefix: str, suffix: str) -> str:
    return f"{prefix[: MAX_IDENTIFIER_LENGTH - len(suffix) - 1]}_{suffix}"


def prisma_metadata() -> MetaData:
    """Return an empty MetaData whose keys and indexes get Prisma's names."""
    return MetaData(
        naming_convention={
            "prisma_name": prisma_name,
            "pk": "%(prisma_name)s",
            "fk": "%(prisma_name)s",
            "ix": "%(prisma_name)s",
        }
    )


class Base(DeclarativeBase):
    """Declarative base of the NivoStack models (one Prisma model = one subclass)."""

    metadata = prisma_metadata()
    type_annotation_map = TYPE_MAP


def db_default(value: bool | int | float | str) -> TextClause | str:
    """Return the server default Prisma emits for `@default(value)` of a literal.

    Booleans and numbers become SQL literals (`DEFAULT false`, `DEFAULT 0`), strings a quoted
    string (`DEFAULT 'active'`).
    """
    if isinstance(value, bool):
        return text("true" if value else "false")
    if isinstance(value, int | float):
        return text(repr(value))
    return value


def references(model: str, *, on_delete: OnDelete) -> ForeignKey:
    """Return a foreign key to `<model>.id` as Prisma creates it for a relation.

    `on_delete` takes Prisma's spelling. Prisma's default when the schema gives none is
    `"Restrict"` for a required relation and `"SetNull"` for an optional one; pass it
    explicitly. ON UPDATE is always CASCADE, as Prisma emits it.
    """
    return ForeignKey(f"{model}.id", ondelete=_REFERENTIAL_ACTIONS[on_delete], onupdate="CASCADE")


def index(*columns: str) -> Index:
    """Return `@@index([columns])`: a plain index named `<Model>_<columns>_idx`."""
    return Index(None, *columns)


def unique_index(*columns: str) -> Index:
    """Return `@unique` / `@@unique([columns])`: a unique index named `<Model>_<columns>_key`."""
    return Index(None, *columns, unique=True)


def prisma_enum(name: str, *values: str, metadata: MetaData) -> ENUM:
    """Return the PostgreSQL enum type Prisma creates for `enum <name> { values }`.

    The type is named exactly as the Prisma enum (quoted, case kept: `"AccountRole"`), its
    labels in declaration order; it is created and dropped with `metadata`. A column of it
    is `mapped_column(the_enum)`, a list of it `mapped_column(ARRAY(the_enum))`.
    """
    return ENUM(*values, name=name, metadata=metadata)
