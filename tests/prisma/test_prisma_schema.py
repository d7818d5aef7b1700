"""Reading schema.prisma: every index, unique and foreign key Prisma creates is found, under
the name Prisma gives it (checked against Prisma's own DDL, committed as fixtures)."""

from __future__ import annotations

import re

from nivomigrate.prisma.schema import (
    declared_indexes,
    declared_relations,
    default_name,
    read_schema,
    without_comment,
)
from tests.prisma.conftest import FIXTURES, NIVOSTACK_SCHEMA


def _ddl_names(sql: str, pattern: str) -> set[str]:
    return set(re.findall(pattern, sql))


def test_every_index_of_prismas_ddl_is_declared_under_its_name():
    schema = read_schema(NIVOSTACK_SCHEMA.read_text())
    ddl = (FIXTURES / "nivostack_prisma.sql").read_text()
    declared = {d.name for model in schema.models for d in declared_indexes(model)}
    assert declared == _ddl_names(ddl, r'CREATE (?:UNIQUE )?INDEX "([^"]+)"')


def test_unique_flags_match_prismas_ddl():
    schema = read_schema(NIVOSTACK_SCHEMA.read_text())
    ddl = (FIXTURES / "nivostack_prisma.sql").read_text()
    unique = {d.name for model in schema.models for d in declared_indexes(model) if d.unique}
    assert unique == _ddl_names(ddl, r'CREATE UNIQUE INDEX "([^"]+)"')


def test_every_foreign_key_of_prismas_ddl_is_declared_under_its_name():
    schema = read_schema(NIVOSTACK_SCHEMA.read_text())
    ddl = (FIXTURES / "nivostack_prisma.sql").read_text()
    declared = {r.name for model in schema.models for r in declared_relations(model)}
    assert declared == _ddl_names(ddl, r'ADD CONSTRAINT "([^"]+)" FOREIGN KEY')


def test_long_names_are_cut_as_prisma_cuts_them():
    schema = read_schema((FIXTURES / "long_name_probe.prisma").read_text())
    ddl = (FIXTURES / "nivostack_prisma_long_name_probe.sql").read_text()
    (model,) = schema.models
    names = {d.name for d in declared_indexes(model)} | {
        r.name for r in declared_relations(model)}
    assert names == _ddl_names(ddl, r'(?:INDEX|CONSTRAINT) "([^"]+)"') - {f"{model.table}_pkey"}
    assert all(len(name) <= 63 for name in names)


def test_mapped_names_are_read():
    schema = read_schema('''model Event {
  id      String @id
  ownerId String @map("owner_id")

  @@index([ownerId], map: "events_by_owner")
  @@unique([id, ownerId])
  @@map("events")
}
''')
    (model,) = schema.models
    assert model.table == "events"
    assert model.field_for_column("owner_id").name == "ownerId"
    assert [(d.name, d.unique) for d in declared_indexes(model)] == [
        ("events_by_owner", False), ("events_id_owner_id_key", True)]
    assert default_name("events", ["owner_id"], "idx") == "events_owner_id_idx"


def test_comments_are_cut_but_not_inside_strings():
    assert without_comment('  url = "http://x//y" // where') == '  url = "http://x//y"'
    assert without_comment("  @@index([a]) // why") == "  @@index([a])"
