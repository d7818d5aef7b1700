"""The helpers of nivostack_models.base produce what Prisma emits.

Each probe model here is the twin of a small .prisma file in tests/fixtures/prisma/ whose
DDL Prisma itself wrote; the database built from the model must not differ from it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Index, MetaData, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import nivostack_models.base as base
from nivostack_models.base import (
    TYPE_MAP,
    db_default,
    index,
    prisma_enum,
    prisma_metadata,
    prisma_name,
    references,
    unique_index,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "prisma"
LONG_MODEL = "UserNotificationPreferencesExtraLongModelName"


def _create_all(url: str, metadata: MetaData) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    metadata.create_all(engine)


def _run_fixture(url: str, file_name: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.connection.driver_connection.execute((FIXTURES / file_name).read_text())


def _enum_probe_metadata() -> MetaData:
    """The twin of enum_probe.prisma."""

    class ProbeBase(DeclarativeBase):
        metadata = prisma_metadata()
        type_annotation_map = TYPE_MAP

    account_role = prisma_enum(
        "AccountRole", "OWNER", "MEMBER", "VIEWER", metadata=ProbeBase.metadata
    )

    class Account(ProbeBase):
        __tablename__ = "Account"
        __table_args__ = (index("role"),)

        id: Mapped[str] = mapped_column(primary_key=True)
        role: Mapped[str] = mapped_column(account_role, server_default=db_default("MEMBER"))
        pastRoles: Mapped[list[str] | None] = mapped_column(ARRAY(account_role))
        nextRole: Mapped[str | None] = mapped_column(account_role)

    return ProbeBase.metadata


def _long_name_probe_metadata() -> MetaData:
    """The twin of long_name_probe.prisma."""

    class ProbeBase(DeclarativeBase):
        metadata = prisma_metadata()
        type_annotation_map = TYPE_MAP

    class LongModel(ProbeBase):
        __tablename__ = LONG_MODEL
        __table_args__ = (
            unique_index("someVeryLongColumnNameNumberTwo"),
            index("someVeryLongColumnNameNumberOne", "someVeryLongColumnNameNumberTwo"),
        )

        id: Mapped[str] = mapped_column(primary_key=True)
        someVeryLongColumnNameNumberOne: Mapped[str]
        someVeryLongColumnNameNumberTwo: Mapped[str]
        parentId: Mapped[str | None] = mapped_column(references(LONG_MODEL, on_delete="SetNull"))

    return ProbeBase.metadata


def test_enum_model_matches_prisma_enum_probe(new_database, diff_schemas):
    prisma_url, models_url = new_database(), new_database()
    _run_fixture(prisma_url, "nivostack_prisma_enum_probe.sql")
    _create_all(models_url, _enum_probe_metadata())

    assert diff_schemas(prisma_url, models_url) == ""


def test_enum_type_is_named_as_the_prisma_enum():
    metadata = _enum_probe_metadata()
    role_type = metadata.tables["Account"].c.role.type

    assert (role_type.name, list(role_type.enums)) == ("AccountRole", ["OWNER", "MEMBER", "VIEWER"])


def test_long_names_match_prisma_long_name_probe(new_database, diff_schemas):
    prisma_url, models_url = new_database(), new_database()
    _run_fixture(prisma_url, "nivostack_prisma_long_name_probe.sql")
    _create_all(models_url, _long_name_probe_metadata())

    assert diff_schemas(prisma_url, models_url) == ""


def test_long_index_name_keeps_its_suffix_within_63_characters():
    table = _long_name_probe_metadata().tables[LONG_MODEL]
    names = sorted(i.name for i in table.indexes)

    assert names == [f"{LONG_MODEL}_someVeryLongC_idx", f"{LONG_MODEL}_someVeryLongC_key"]
    assert all(len(name) == base.MAX_IDENTIFIER_LENGTH for name in names)


def test_unique_constraint_is_refused_as_prisma_never_creates_one():
    table = Table("Thing", MetaData(), sa.Column("code", Text))

    with pytest.raises(TypeError, match="UniqueConstraint"):
        prisma_name(sa.UniqueConstraint(table.c.code), table)


def test_default_literals_render_as_prisma_emits_them():
    rendered = [str(db_default(value)) for value in (True, False, 0, 5)]

    assert rendered == ["true", "false", "0", "5"]
    assert db_default("active") == "active"


def test_plain_and_unique_index_are_indexes_not_constraints():
    assert isinstance(index("a"), Index) and not index("a").unique
    assert unique_index("a", "b").unique


def test_datetime_maps_to_timestamp_3_without_time_zone():
    column_type = TYPE_MAP[datetime]

    assert (column_type.precision, column_type.timezone) == (3, False)
