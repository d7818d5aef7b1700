"""Snapshot objects said as Prisma attributes, and what Prisma cannot declare set apart."""

from __future__ import annotations

from nivomigrate.prisma.compare import (
    compare_with_head,
    expressible_objects,
    foreign_key_spec,
    index_spec,
)
from nivomigrate.prisma.schema import read_schema
from nivomigrate.snapshot import Snapshot, fingerprint

SCHEMA = read_schema('''model Log {
  id        String   @id
  projectId String
  createdAt DateTime @map("created_at")

  @@index([projectId])
}
''')


def _index(name: str, definition: str) -> tuple[str, dict]:
    return f"index public.{name}", {"table": "public.Log", "definition": definition,
                                    "valid": True, "comment": None}


def _snapshot(objects: dict) -> Snapshot:
    return Snapshot(objects, fingerprint(objects), 150000)


def test_plain_desc_and_hash_indexes_are_specs():
    key, attributes = _index("Log_p_idx", 'CREATE INDEX "Log_p_idx" ON public."Log" USING btree '
                             '("projectId", created_at DESC)')
    spec = index_spec(key, attributes)
    assert (spec.table, spec.columns, spec.method) == (
        "Log", (("projectId", False), ("created_at", True)), "btree")
    key, attributes = _index("h", 'CREATE UNIQUE INDEX h ON public."Log" USING hash (id)')
    assert index_spec(key, attributes).unique


def test_partial_expression_include_and_opclass_indexes_are_not():
    for definition in (
        'CREATE INDEX x ON public."Log" USING btree ("projectId") WHERE (id IS NOT NULL)',
        'CREATE INDEX x ON public."Log" USING btree (lower(id))',
        'CREATE INDEX x ON public."Log" USING btree (id) INCLUDE ("projectId")',
        'CREATE INDEX x ON public."Log" USING btree (id text_pattern_ops)',
        'CREATE INDEX x ON public."Log" USING btree (id DESC NULLS LAST)',
    ):
        assert index_spec(*_index("x", definition)) is None, definition


def test_foreign_key_actions_are_read():
    spec = foreign_key_spec("constraint public.Log.Log_projectId_fkey", {
        "type": "f", "definition": 'FOREIGN KEY ("projectId") REFERENCES public."Project"(id) '
        "ON UPDATE CASCADE ON DELETE SET NULL"})
    assert (spec.columns, spec.referenced_table, spec.on_delete, spec.on_update) == (
        ("projectId",), "Project", "SetNull", "Cascade")
    assert foreign_key_spec("constraint public.Log.f", {
        "type": "f", "definition": 'FOREIGN KEY (a) REFERENCES public."P"(id) DEFERRABLE'}) is None


def test_views_checks_and_comments_are_set_apart():
    kept, left_out = expressible_objects({
        "view public.RecentLog": {"definition": "SELECT 1"},
        "constraint public.Log.positive": {"type": "c", "definition": "CHECK (true)"},
        "column public.Log.id": {"type": "text", "not_null": True, "default": None,
                                 "comment": "the id", "identity": None},
        "schema public": {"comment": "standard public schema"},
    })
    assert list(kept) == ["column public.Log.id"]
    assert {(item.key, item.what) for item in left_out} == {
        ("view public.RecentLog", "a view"),
        ("constraint public.Log.positive", "a CHECK constraint"),
        ("column public.Log.id", "a comment"),
    }


def test_index_differences_are_attributes_with_field_names_and_map():
    head = _snapshot(dict([_index("Log_by_time", 'CREATE INDEX "Log_by_time" ON public."Log" '
                                  'USING btree ("projectId", created_at DESC)')]))
    prisma = _snapshot(dict([_index("Log_projectId_idx", 'CREATE INDEX "Log_projectId_idx" ON '
                                    'public."Log" USING btree ("projectId")')]))
    comparison = compare_with_head(head, prisma, SCHEMA)
    assert [change.text() for change in comparison.changes] == [
        'add @@index([projectId, createdAt(sort: Desc)], map: "Log_by_time") on model Log',
        "remove @@index([projectId]) on model Log",
    ]
    assert all(change.writable for change in comparison.changes)


def test_a_missing_models_primary_key_is_said_as_its_key_never_as_a_unique():
    """A model the revisions add: its primary key's index is the key's, not `@@unique([id],
    map: "AuditEvent_pkey")` (the model has `@id`)."""
    head = _snapshot({
        "table public.AuditEvent": {"kind": "r"},
        "column public.AuditEvent.id": {"type": "text", "not_null": True, "default": None},
        "constraint public.AuditEvent.AuditEvent_pkey": {"type": "p",
                                                         "definition": "PRIMARY KEY (id)"},
        "index public.AuditEvent_pkey": {
            "table": "public.AuditEvent", "valid": True, "definition":
            'CREATE UNIQUE INDEX "AuditEvent_pkey" ON public."AuditEvent" USING btree (id)'},
    })
    comparison = compare_with_head(head, _snapshot({}), SCHEMA)
    said = [change.text() for change in comparison.changes]
    assert not any("@@unique" in text for text in said), said
    assert any(change.target == "primary key" for change in comparison.changes), said
