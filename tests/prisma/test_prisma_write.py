"""Rewriting attributes in place: only the lines of the changed attributes move, and what
comes out is what `prisma format` would write and `prisma validate` accepts."""

from __future__ import annotations

import difflib
from pathlib import Path

from nivomigrate.prisma.compare import AttributeChange, ForeignKeySpec, IndexSpec
from nivomigrate.prisma.render import formatted, validate
from nivomigrate.prisma.schema import read_schema
from nivomigrate.prisma.write import apply_changes

SCHEMA = '''// The app's schema (a comment that stays).
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Owner {
  id     String  @id
  email  String  @unique // one account per address
  events Event[]
}

/// Events of an owner.
model Event {
  id      String   @id
  ownerId String
  owner   Owner    @relation(fields: [ownerId], references: [id])
  kind    String
  at      DateTime

  @@index([ownerId]) // by owner
  @@index([kind])
}

model Tag {
  id    String @id
  label String
}
'''


def _index(table: str, name: str, columns: list[str], unique: bool = False) -> IndexSpec:
    return IndexSpec(name, table, unique, tuple((c, False) for c in columns), "btree")


def _changed_lines(old: str, new: str) -> list[str]:
    return [line for line in difflib.ndiff(old.splitlines(), new.splitlines())
            if line[:1] in "+-"]


def test_index_replaced_and_others_kept():
    changes = (
        AttributeChange("Event", "remove", "index", "@@index([ownerId])",
                        "index public.Event_ownerId_idx", True,
                        _index("Event", "Event_ownerId_idx", ["ownerId"]), "Event_ownerId_idx"),
        AttributeChange("Event", "add", "index", "@@index([ownerId, at(sort: Desc)])",
                        "index public.Event_ownerId_at_idx", True),
    )
    new = apply_changes(read_schema(SCHEMA), changes)
    assert _changed_lines(SCHEMA, new) == ["-   @@index([ownerId]) // by owner",
                                           "+   @@index([ownerId, at(sort: Desc)])"]


def test_field_unique_removed_and_comment_kept():
    changes = (AttributeChange("Owner", "remove", "unique", "@@unique([email])",
                               "index public.Owner_email_key", True, None, "Owner_email_key"),)
    new = apply_changes(read_schema(SCHEMA), changes)
    assert _changed_lines(SCHEMA, new) == [
        "-   email  String  @unique // one account per address",
        "+   email  String // one account per address"]


def test_first_block_attribute_gets_a_blank_line_and_last_removed_leaves_none():
    add = AttributeChange("Tag", "add", "unique", "@@unique([label])",
                          "index public.Tag_label_key", True)
    new = apply_changes(read_schema(SCHEMA), (add,))
    assert "  label String\n\n  @@unique([label])\n}" in new
    removes = tuple(
        AttributeChange("Event", "remove", "index", f"@@index([{c}])",
                        f"index public.Event_{c}_idx", True, None, f"Event_{c}_idx")
        for c in ("ownerId", "kind"))
    new = apply_changes(read_schema(SCHEMA), removes)
    assert "  at      DateTime\n}" in new


def test_relation_actions_and_name_rewritten():
    spec = ForeignKeySpec("Event_owner_fk", "Event", ("ownerId",), "Owner", ("id",),
                          "Cascade", "Cascade")
    change = AttributeChange("Event", "change", "relation", "field owner: @relation(...)",
                             "constraint public.Event.Event_owner_fk", True, spec,
                             "Event_ownerId_fkey")
    new = apply_changes(read_schema(SCHEMA), (change,))
    assert ('owner   Owner    @relation(fields: [ownerId], references: [id], onDelete: Cascade, '
            'map: "Event_owner_fk")') in new


def test_rewritten_schema_validates_and_is_formatted(prisma_cli, tmp_path: Path):
    source = formatted(prisma_cli, SCHEMA)
    changes = (
        AttributeChange("Owner", "remove", "unique", "", "k1", True, None, "Owner_email_key"),
        AttributeChange("Event", "remove", "index", "", "k2", True, None, "Event_ownerId_idx"),
        AttributeChange("Event", "add", "index", "@@index([ownerId, at(sort: Desc)])", "k3",
                        True),
        AttributeChange("Tag", "add", "unique", "@@unique([label])", "k4", True),
        AttributeChange("Event", "change", "relation", "", "k5", True, ForeignKeySpec(
            "Event_ownerId_fkey", "Event", ("ownerId",), "Owner", ("id",), "Cascade",
            "Cascade"), "Event_ownerId_fkey"),
    )
    new = apply_changes(read_schema(source), changes)
    assert new != source
    path = tmp_path / "schema.prisma"
    path.write_text(new)
    validate(prisma_cli, path)
    assert formatted(prisma_cli, new) == new
