"""Model files edited from catalog facts: a column line, an index, an enum, a new class; the
other lines kept. No database: the facts are written as the snapshot gives them."""

from __future__ import annotations

from pathlib import Path

from nivomigrate.models_source import (
    FileEdit,
    TableChanges,
    TableFacts,
    add_class,
    declare_enum,
    edit_table,
    find_classes,
)
from nivomigrate.prisma.compare import foreign_key_spec, index_spec

MODELS = Path(__file__).resolve().parents[1] / "nivostack_models" / "studio.py"


def _index(table: str, name: str, columns: str, unique: str = "") -> object:
    return index_spec(f"index public.{name}", {"definition": f'CREATE {unique}INDEX "{name}" ON '
                                               f'public."{table}" USING btree ({columns})'})


def test_a_changed_column_an_index_and_an_enum_are_written_in_place():
    edit = FileEdit(MODELS.read_text())
    declare_enum(edit, "Tier", "Tier", ["FREE", "PRO"], None)
    user = find_classes([MODELS])["User"]
    facts = TableFacts(
        {"tier": {"type": 'public."Tier"', "not_null": True, "default": "'FREE'::\"Tier\""},
         "name": {"type": "text", "not_null": True, "default": "'anonymous'::text"}},
        {"User_tier_idx": _index("User", "User_tier_idx", "tier")}, {}, ("id",))
    left = edit_table(edit, user, facts, TableChanges({"tier", "name"}, set(), {"User_tier_idx"},
                                                      {"User_isAdmin_idx"}, []),
                      {"Tier": "Tier"})
    text = edit.result()
    assert left == []
    assert 'Tier = prisma_enum("Tier", "FREE", "PRO", metadata=Base.metadata)\n' in text
    assert "    tier: Mapped[str] = mapped_column(Tier, server_default=db_default(\"FREE\"))\n" \
        in text
    assert '    name: Mapped[str] = mapped_column(server_default=db_default("anonymous"))\n' in text
    assert '        index("tier"),\n' in text and 'index("isAdmin")' not in text
    assert "prisma_enum, references" in text  # the import follows
    compile(text, str(MODELS), "exec")
    assert text.count("\n") == MODELS.read_text().count("\n") + 4  # enum 3, tier 1


def test_a_new_table_becomes_a_class_with_its_keys():
    edit = FileEdit(MODELS.read_text())
    fkey = foreign_key_spec("constraint public.AuditEvent.AuditEvent_userId_fkey", {
        "definition": 'FOREIGN KEY ("userId") REFERENCES public."User"(id) ON UPDATE CASCADE '
                      "ON DELETE SET NULL"})
    facts = TableFacts(
        {"id": {"type": "text", "not_null": True}, "userId": {"type": "text", "not_null": False},
         "createdAt": {"type": "timestamp(3) without time zone", "not_null": True,
                       "default": "CURRENT_TIMESTAMP"}},
        {"AuditEvent_userId_idx": _index("AuditEvent", "AuditEvent_userId_idx", '"userId"')},
        {"userId": fkey}, ("id",))
    add_class(edit, "AuditEvent", "audit_events", facts, ["id", "userId", "createdAt"], {})
    assert edit.result().endswith('''

class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        index("userId"),
    )

    id: Mapped[str] = mapped_column(primary_key=True)
    userId: Mapped[str | None] = mapped_column(references("User", on_delete="SetNull"))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
''')
