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


# A table the revisions added (the models declared it): head's objects as the comparison
# keeps them. schema.prisma gets the model, and Owner its list field.
AUDIT_OBJECTS = {
    "table public.Audit": {"kind": "r"},
    "column public.Audit.id": {"type": "text", "not_null": True, "default": None},
    "column public.Audit.ownerId": {"type": "text", "not_null": False, "default": None},
    "column public.Audit.action": {"type": "text", "not_null": True, "default": "'seen'::text"},
    "column public.Audit.at": {"type": "timestamp(3) without time zone", "not_null": True,
                               "default": "CURRENT_TIMESTAMP"},
    "constraint public.Audit.Audit_pkey": {"definition": "PRIMARY KEY (id)"},
    "constraint public.Audit.Audit_ownerId_fkey": {
        "definition": 'FOREIGN KEY ("ownerId") REFERENCES public."Owner"(id) ON UPDATE CASCADE '
                      "ON DELETE SET NULL"},
    "index public.Audit_pkey": {"definition": 'CREATE UNIQUE INDEX "Audit_pkey" ON '
                                              'public."Audit" USING btree (id)'},
    "index public.Audit_ownerId_idx": {"definition": 'CREATE INDEX "Audit_ownerId_idx" ON '
                                                     'public."Audit" USING btree ("ownerId")'},
}


def _new_model_text(source: str) -> str:
    from nivomigrate.prisma.compare import compare_with_head
    from nivomigrate.snapshot import Snapshot, fingerprint

    schema = read_schema(source)
    head = {key: dict(value) for key, value in AUDIT_OBJECTS.items()}
    comparison = compare_with_head(Snapshot(head, fingerprint(head), 150000),
                                   Snapshot({}, fingerprint({}), 150000), schema)
    assert comparison.changes and all(c.writable for c in comparison.changes), [
        c.text() for c in comparison.changes if not c.writable]
    return apply_changes(schema, comparison.changes)


def test_a_model_head_has_is_added_with_its_relation_both_ways():
    new = _new_model_text(SCHEMA)
    assert "  events Event[]\n  audits Audit[]\n}" in new
    assert new.endswith('''
model Audit {
  id String @id
  action String @default("seen")
  at DateTime @default(now())
  ownerId String?
  owner Owner? @relation(fields: [ownerId], references: [id], onDelete: SetNull, onUpdate: Cascade)

  @@index([ownerId])
}
''')


def test_the_added_model_validates(prisma_cli, tmp_path: Path):
    path = tmp_path / "schema.prisma"
    path.write_text(_new_model_text(SCHEMA))
    validate(prisma_cli, path)


def _written(source: str, head: dict, prisma: dict) -> str:
    from nivomigrate.prisma.compare import compare_with_head
    from nivomigrate.snapshot import Snapshot, fingerprint

    schema = read_schema(source)
    comparison = compare_with_head(Snapshot(head, fingerprint(head), 150000),
                                   Snapshot(prisma, fingerprint(prisma), 150000), schema)
    assert comparison.changes and all(c.writable for c in comparison.changes), [
        c.text() for c in comparison.changes if not c.writable]
    return apply_changes(schema, comparison.changes)


TAG_OWNER = {"constraint public.Tag.Tag_label_fkey": {
    "definition": 'FOREIGN KEY (label) REFERENCES public."Owner"(id) ON UPDATE CASCADE '
                  "ON DELETE RESTRICT"}}
TAG_LABEL = {"column public.Tag.label": {"type": "text", "not_null": True, "default": None}}


def test_a_relation_added_between_models_gets_both_fields_and_removed_loses_both():
    added = _written(SCHEMA, {**TAG_OWNER, **TAG_LABEL}, TAG_LABEL)
    assert "  events Event[]\n  tags   Tag[]\n}" in added or "  tags Tag[]\n" in added, added
    assert ("  owner Owner @relation(fields: [label], references: [id], onDelete: Restrict, "
            "onUpdate: Cascade)\n}") in added
    removed = _written(added, TAG_LABEL, {**TAG_OWNER, **TAG_LABEL})
    assert removed == SCHEMA


def test_an_enum_head_adds_and_its_field_are_written_and_a_new_label_rewrites_the_block():
    tier = {"enum public.Tier": {"labels": ["FREE", "PRO"]},
            "column public.Tag.tier": {"type": '"Tier"', "not_null": True,
                                       "default": "'FREE'::\"Tier\""}}
    added = _written(SCHEMA, {**TAG_LABEL, **tier}, TAG_LABEL)
    assert "  label String\n  tier Tier @default(FREE)\n}" in added
    assert added.endswith("\nenum Tier {\n  FREE\n  PRO\n}\n")
    more = {**tier, "enum public.Tier": {"labels": ["FREE", "PRO", "TEAM"]}}
    relabelled = _written(added, {**TAG_LABEL, **more}, {**TAG_LABEL, **tier})
    assert relabelled == added.replace("  PRO\n}", "  PRO\n  TEAM\n}")


# Event's second relation to Owner (named on both sides, as Prisma requires of a second one).
REVIEWED = SCHEMA.replace(
    "  events Event[]\n",
    '  events Event[]\n  reviewedEvents Event[] @relation("Event_reviewerId_fkey")\n').replace(
    "  kind    String\n",
    "  kind    String\n  reviewerId String?\n"
    '  reviewer Owner? @relation("Event_reviewerId_fkey", fields: [reviewerId], '
    "references: [id])\n")
REVIEWER_COLUMN = {"column public.Event.reviewerId": {"type": "text", "not_null": False,
                                                      "default": None}}
REVIEWER_FKEY = {"constraint public.Event.Event_reviewerId_fkey": {
    "definition": 'FOREIGN KEY ("reviewerId") REFERENCES public."Owner"(id) ON UPDATE CASCADE '
                  "ON DELETE SET NULL"}}


def test_one_of_two_relations_between_two_models_removed_loses_both_its_fields():
    removed = _written(REVIEWED, REVIEWER_COLUMN, {**REVIEWER_FKEY, **REVIEWER_COLUMN})
    assert "reviewedEvents" not in removed and "reviewer Owner?" not in removed, removed
    assert "  reviewerId String?\n" in removed
    assert "  owner   Owner    @relation(fields: [ownerId], references: [id])\n" in removed
    assert "  events Event[]\n" in removed


def test_a_self_relation_removed_loses_both_its_fields():
    teams = SCHEMA.replace("model Tag {\n  id    String @id\n", (
        "model Tag {\n  id    String @id\n  parentId String?\n"
        '  parent Tag? @relation("Tag_parentId_fkey", fields: [parentId], references: [id])\n'
        '  children Tag[] @relation("Tag_parentId_fkey")\n'))
    column = {"column public.Tag.parentId": {"type": "text", "not_null": False,
                                             "default": None}}
    fkey = {"constraint public.Tag.Tag_parentId_fkey": {
        "definition": 'FOREIGN KEY ("parentId") REFERENCES public."Tag"(id) ON UPDATE CASCADE '
                      "ON DELETE SET NULL"}}
    removed = _written(teams, column, {**fkey, **column})
    assert "children" not in removed and "parent Tag?" not in removed, removed
    assert "  parentId String?\n" in removed
