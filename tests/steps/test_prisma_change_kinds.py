"""Each kind of change Prisma can express, made on 3,000 users and 3,000 projects (enough rows
for the online path: the planner, NOT VALID + VALIDATE, CONCURRENTLY; size is the business of
benchmarks/), from schema.prisma (`revision --from-prisma` writes the revision and the models)
or from the models (`revision -m` writes the revision and schema.prisma): one command, one
commit, then the merge gate, apply staging and promote prod pass and everything agrees.

The steps run in order on one project (staging and prod cloned once from a seeded template).
"""

from __future__ import annotations

import os

import psycopg
import pytest

from tests.steps.conftest import Project
from tests.steps.prisma_flow import git, module_databases, ok, prisma_project, promote_all, run

__all__ = ["module_databases"]  # the fixture this module's project uses

ROWS = int(os.environ.get("NIVOMIGRATE_KINDS_ROWS", "3000"))  # 100k: benchmarks/
SEED = f"""
insert into "User" (id, email, password, "updatedAt")
select 'u' || g, 'u' || g || '@example.com', 'x', now() from generate_series(1, {ROWS}) g;
insert into "Project" (id, name, "apiKey", "userId", "updatedAt")
select 'p' || g, 'project ' || g, 'k' || g, 'u' || g, now() from generate_series(1, {ROWS}) g;
analyze "User", "Project";
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory, module_databases, canary_admin_url) -> Project:
    seeded = module_databases("nivo_kinds_seed")
    with psycopg.connect(seeded, autocommit=True) as conn:
        conn.execute(SEED)
    template = seeded.rsplit("/", 1)[1].split("?")[0]
    urls = {env: module_databases(f"nivo_kinds_{env}", template) for env in ("staging", "prod")}
    return prisma_project(tmp_path_factory.mktemp("kinds"), urls, canary_admin_url)


def _model_span(text: str, model: str) -> tuple[int, int]:
    start = text.index(f"model {model} {{")
    return start, text.index("\n}", start) + 1


def add_lines(text: str, model: str, *lines: str) -> str:
    """Add lines at the end of `model`'s fields (before its first block attribute)."""
    start, end = _model_span(text, model)
    block = text[start:end]
    at = block.find("\n  @@")
    at = at + 1 if at >= 0 else len(block)
    while block[:at].endswith("\n\n"):
        at -= 1
    return text[:start] + block[:at] + "".join(f"  {line}\n" for line in lines) + \
        block[at:] + text[end:]


def add_block(text: str, model: str, attribute: str) -> str:
    start, end = _model_span(text, model)
    return text[:end] + f"  {attribute}\n" + text[end:]


def replace(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


AUDIT_EVENT = """
model AuditEvent {
  id        String   @id @default(cuid())
  userId    String?
  user      User?    @relation(fields: [userId], references: [id], onDelete: SetNull)
  action    String
  createdAt DateTime @default(now())

  @@index([userId])
}
"""

def _steps(text: str, *edits) -> str:
    for edit in edits:
        text = edit(text)
    return text


# Kinds that go together in one commit (each step: its id, the file it edits, the edit):
# "prisma" steps edit schema.prisma, "models" steps the model file (nivostack_models/studio.py).
STEPS = [
    ("fields-enum-index-unique", "prisma", lambda t: _steps(
        t,
        lambda t: add_lines(t, "User", "nickname String?"),               # nullable field
        lambda t: add_lines(t, "User", 'plan String @default("free")'),   # required, default
        lambda t: add_lines(t, "User", "tier Tier @default(FREE)")        # enum
        + "\nenum Tier {\n  FREE\n  PRO\n}\n",
        lambda t: add_block(t, "User", "@@index([nickname])"),           # index
        lambda t: add_block(t, "Project", "@@unique([userId, name])"))),  # unique
    ("default-changed-model-added", "prisma", lambda t: _steps(
        t,
        lambda t: replace(t, 'plan String @default("free")', 'plan String @default("trial")'),
        lambda t: add_lines(t, "User", "auditEvents AuditEvent[]") + AUDIT_EVENT)),
    ("relation-added-relation-changed", "prisma", lambda t: _steps(
        t,
        lambda t: add_lines(add_lines(
            t, "User", "referrerId String?", 'referrer AuditEvent? @relation("Referrer", '
            "fields: [referrerId], references: [id])"),
            "AuditEvent", 'referred User[] @relation("Referrer")'),
        lambda t: replace(t, "user                 User                  @relation(fields: "
                          "[userId], references: [id], onDelete: Cascade)",
                          "user                 User                  @relation(fields: "
                          "[userId], references: [id], onDelete: Restrict)"))),
    ("relation-removed", "prisma", lambda t: _steps(
        t,
        lambda t: replace(t, '  referrer AuditEvent? @relation("Referrer", fields: '
                          '[referrerId], references: [id])\n', ""),
        lambda t: replace(t, '  referred User[] @relation("Referrer")\n', ""))),
    ("models-field-index-relation", "models", lambda t: _steps(
        t,
        lambda t: replace(t, "    isAdmin: Mapped[bool] = mapped_column(server_default="
                          "db_default(False))\n", "    isAdmin: Mapped[bool] = mapped_column("
                          "server_default=db_default(False))\n    locale: Mapped[str | None]\n"),
        lambda t: replace(t, '        index("isAdmin"),\n',
                          '        index("isAdmin"),\n        index("locale"),\n'),
        lambda t: replace(t, 'userId: Mapped[str] = mapped_column(references("User", '
                          'on_delete="Restrict"))', 'userId: Mapped[str] = mapped_column('
                          'references("User", on_delete="Cascade"))'))),
]


def _in_model(model: str, old: str, new: str):
    """The edit replacing `old` by `new` inside `model` only."""
    def edit(text: str) -> str:
        start, end = _model_span(text, model)
        block = text[start:end]
        assert block.count(old) == 1, old
        return text[:start] + block.replace(old, new) + text[end:]
    return edit


STEPS.append(("enum-label-added", "prisma", lambda t: replace(t, "  PRO\n}", "  PRO\n  TEAM\n}")))

# Renames by @map/@@map, on a table no service reads or writes yet (services.yaml's owner
# follows the table): written as RENAME, never dropped and added.
STEPS.append(("map-renames-table-and-column", "prisma", lambda t: _steps(
    t,
    _in_model("AuditEvent", "  @@index([userId])\n",
              '  @@index([userId])\n  @@map("audit_events")\n'),
    _in_model("AuditEvent", "action    String\n", 'action    String   @map("kind")\n'))))
MODELS = "nivostack_models/studio.py"


def _owner(project: Project, table: str, service: str) -> None:
    services = project.root / "policies" / "services.yaml"
    text = services.read_text()
    services.write_text(text.replace("  # studio\n", f"  # studio\n  {table}: {service}\n", 1))


@pytest.mark.parametrize(("step", "source", "change"), STEPS, ids=[s[0] for s in STEPS])
def test_change_reaches_prod_with_rows(project, step, source, change):
    edited = project.root / ("schema.prisma" if source == "prisma" else MODELS)
    edited.write_text(change(edited.read_text()))
    if step == "default-changed-model-added":
        _owner(project, "AuditEvent", "studio")  # a policy decision, not written by the tool
    if source == "prisma":
        out = ok(project, "revision", "--from-prisma", "-m", step)
        assert "Models written" in out, out
    else:
        ok(project, "revision", "-m", step)
        assert " M schema.prisma" in git(project, "status", "--porcelain")  # it followed
    git(project, "add", "-A")
    git(project, "commit", "-qm", step)
    promote_all(project)
    assert git(project, "status", "--porcelain") == ""
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute('select count(*) from "User"').fetchone()[0] == ROWS


def test_required_field_without_default_is_refused_naming_the_steps(project):
    schema = project.root / "schema.prisma"
    before = schema.read_text()
    schema.write_text(add_lines(before, "User", "region String"))
    result = run(project, "revision", "--from-prisma")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "error: User.region is a required field without a default" in result.stderr
    assert "region String?" in result.stderr and "backfill" in result.stderr
    assert "Traceback" not in result.stderr
    assert git(project, "status", "--porcelain").strip() == "M schema.prisma"
    schema.write_text(before)


def test_a_rename_of_what_a_service_uses_is_refused_naming_it_and_the_steps(project):
    """studio's Prisma client selects every User column: renaming one breaks the deployed
    service until it is redeployed, so the rename is refused with the expand/contract steps."""
    schema = project.root / "schema.prisma"
    before = schema.read_text()
    schema.write_text(replace(before, "  nickname String?\n", '  nickname String? @map("nick")\n'))
    result = run(project, "revision", "--from-prisma")
    assert result.returncode == 2, result.stdout + result.stderr
    assert '"User"."nickname" to "nick"' in result.stderr, result.stderr
    assert "studio" in result.stderr and "expand/contract" in result.stderr
    assert git(project, "status", "--porcelain").strip() == "M schema.prisma"
    schema.write_text(before)


def test_renames_were_written_as_renames(project):
    written = {path.name: path.read_text() for path in (project.root / "versions").glob("*.py")}
    renamed = next(text for name, text in written.items() if "map_renames" in name)
    assert 'ALTER TABLE "AuditEvent" RENAME TO "audit_events"' in renamed
    assert 'ALTER TABLE "audit_events" RENAME COLUMN "action" TO "kind"' in renamed
    assert "DROP TABLE" not in renamed and "DROP COLUMN" not in renamed
    assert "audit_events: studio" in (project.root / "policies" / "services.yaml").read_text()
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute("select to_regclass('audit_events') is not null").fetchone()[0]


def test_revision_rendered_the_changes_online(project):
    written = {path.name: path.read_text() for path in (project.root / "versions").glob("*.py")}
    relation = next(text for name, text in written.items() if "relation_changed" in name)
    assert "DROP CONSTRAINT" in relation and "NOT VALID" in relation
    assert "add_foreign_key_online(" in relation
    models = (project.root / "nivostack_models" / "studio.py").read_text()
    assert "class AuditEvent(Base):" in models and '__tablename__ = "audit_events"' in models
    assert "    referrerId: Mapped[str | None]\n" in models  # the relation removed, not the field
    assert 'tier: Mapped[str] = mapped_column(Tier, server_default=db_default("FREE"))' in models


def test_models_changes_wrote_schema_prisma_and_online_revisions(project):
    schema = (project.root / "schema.prisma").read_text()
    assert "  locale String?\n" in schema and "@@index([locale])" in schema
    written = {path.name: path.read_text() for path in (project.root / "versions").glob("*.py")}
    index = next(text for name, text in written.items() if "models_field" in name)
    # autogenerate's online rendering passes plain names (the helper quotes them)
    assert "create_index_concurrently('User_locale_idx', 'User', ['locale'])" in index


AUDIT_NOTE = '''

class AuditNote(Base):
    __tablename__ = "AuditNote"
    __table_args__ = (index("userId"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    userId: Mapped[str | None] = mapped_column(references("User", on_delete="SetNull"))
    note: Mapped[str] = mapped_column(server_default=db_default(""))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
'''


def test_a_model_added_to_the_models_is_written_into_schema_prisma_and_reaches_prod(project):
    """From the models: a new class with a relation; `revision -m` writes the revision and
    the model in schema.prisma (with User's list field), with no hand edit."""
    models = project.root / MODELS
    models.write_text(models.read_text() + AUDIT_NOTE)
    _owner(project, "AuditNote", "studio")  # a policy decision, not written by the tool

    out = ok(project, "revision", "-m", "audit notes")

    schema = (project.root / "schema.prisma").read_text()
    assert "model AuditNote {" in schema and "  auditNotes AuditNote[]\n" in schema, out
    assert "owner User? @relation" not in schema  # the field is named after the model
    assert "user User? @relation(fields: [userId], references: [id], onDelete: SetNull, " \
        "onUpdate: Cascade)" in schema
    git(project, "add", "-A")
    git(project, "commit", "-qm", "audit notes")
    promote_all(project)
