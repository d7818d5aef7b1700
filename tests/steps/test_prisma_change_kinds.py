"""Each kind of change Prisma can express, made on 3,000 users and 3,000 projects (enough rows
for the online path: the planner, NOT VALID + VALIDATE, CONCURRENTLY; size is the business of
benchmarks/), from schema.prisma (`revision --from-prisma` writes the revision and the models)
or from the models (`revision -m` writes the revision and schema.prisma): one command, one
commit, then the merge gate, apply staging and promote prod pass and everything agrees.
What a command refuses is refused with a hint, and the hint, run as printed, passes too.

The steps run in order on one project (staging and prod cloned once from a seeded template).
"""

from __future__ import annotations

import os
import shlex

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


def _in_class(name: str, old: str, new: str):
    """The edit replacing `old` by `new` inside class `name` of a model file only."""
    def edit(text: str) -> str:
        start = text.index(f"class {name}(Base):")
        end = text.find("\nclass ", start + 1)
        end = len(text) if end < 0 else end
        block = text[start:end]
        assert block.count(old) == 1, old
        return text[:start] + block.replace(old, new) + text[end:]
    return edit


TEAMS = '''

Stage = prisma_enum("Stage", "in-progress", "done", metadata=Base.metadata)


class Team(Base):
    __tablename__ = "Team"
    __table_args__ = (index("parentId"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    parentId: Mapped[str | None] = mapped_column(references("Team", on_delete="SetNull"))
    stage: Mapped[str] = mapped_column(Stage, server_default=db_default("in-progress"))
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)


class TeamMember(Base):
    __tablename__ = "TeamMember"
    __table_args__ = (unique_index("teamId", "userId"), index("userId"))

    id: Mapped[str] = mapped_column(primary_key=True)
    teamId: Mapped[str] = mapped_column(references("Team", on_delete="Cascade"))
    userId: Mapped[str] = mapped_column(references("User", on_delete="Cascade"))
'''


def test_models_new_models_self_relation_second_relation_mapped_enum_reach_prod(project):
    """From the models, one commit: a self-referencing model (Team.parentId), a new model
    referencing it (TeamMember), a second relation between Project and User (createdById),
    and new enums whose labels are no Prisma identifiers (mapped), on the new model and on an
    existing one (its type created first: alembic's add_column creates none). `revision -m`
    writes the revision and schema.prisma, names the relations Prisma needs named, and it
    validates."""
    models = project.root / MODELS
    text = models.read_text()
    if "prisma_enum" not in text.split("\nclass ", 1)[0]:
        text = text.replace("from .base import ", "from .base import prisma_enum, ", 1)
    first = text.index("\n\nclass ")  # the enum an existing class uses goes before it
    text = text[:first] + '\n\nVisibility = prisma_enum("Visibility", "public", "team-only", ' \
        "metadata=Base.metadata)" + text[first:]
    text = _steps(
        text + TEAMS,
        _in_class("Project", "    __table_args__ = (\n",
                  '    __table_args__ = (\n        index("createdById"),\n'),
        _in_class("Project", "    updatedAt: Mapped[datetime]\n",
                  "    updatedAt: Mapped[datetime]\n    createdById: Mapped[str | None] = "
                  'mapped_column(references("User", on_delete="SetNull"))\n'
                  "    visibility: Mapped[str | None] = mapped_column(Visibility)\n"))
    models.write_text(text)
    _owner(project, "Team", "studio")  # policy decisions, not written by the tool
    _owner(project, "TeamMember", "studio")

    out = ok(project, "revision", "-m", "teams")

    schema = (project.root / "schema.prisma").read_text()
    assert "model Team {" in schema and "model TeamMember {" in schema, out
    assert '  parent Team? @relation("Team_parentId_fkey", fields: [parentId]' in schema
    assert '  parentTeams Team[] @relation("Team_parentId_fkey")' in schema
    assert "  team Team @relation(fields: [teamId], references: [id], onDelete: Cascade" \
        in schema and "  teamMembers TeamMember[]" in schema
    assert '  createdBy User? @relation("Project_createdById_fkey", fields: [createdById]' \
        in schema and '  createdByProjects Project[] @relation("Project_createdById_fkey")' \
        in schema
    assert 'enum Stage {\n  in_progress @map("in-progress")\n  done\n}' in schema
    assert "stage Stage @default(in_progress)" in schema
    assert "  visibility Visibility?\n" in schema  # a new enum on an existing model
    assert 'enum Visibility {\n  public\n  team_only @map("team-only")\n}' in schema
    git(project, "add", "-A")
    git(project, "commit", "-qm", "teams")
    promote_all(project)
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute("select enum_range(null::\"Stage\")::text").fetchone()[0] == \
            "{in-progress,done}"


def _hint(result) -> str:
    return next(line for line in result.stderr.splitlines() if line.startswith("hint:"))


def test_a_drop_and_add_from_the_models_is_refused_naming_the_rename_which_passes(project):
    """A renamed attribute looks like a dropped column and an added one (its data lost):
    refused, exit 2, nothing written, with the `--rename` that says it; run as printed, it
    writes a RENAME and the change reaches prod."""
    models = project.root / MODELS
    models.write_text(_in_class("AuditNote", '    note: Mapped[str] = mapped_column(',
                                '    body: Mapped[str] = mapped_column(')(models.read_text()))

    refused = run(project, "revision", "-m", "note is body")

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "error: the models drop AuditNote.note and add AuditNote.body of the same type" \
        in refused.stderr and "Traceback" not in refused.stderr
    assert git(project, "status", "--porcelain").strip() == f"M {MODELS}"
    command = _hint(refused).split("if it is a rename: ", 1)[1].split(";", 1)[0]
    assert command == 'nivomigrate revision -m "note is body" --rename AuditNote.note:body'
    ok(project, *shlex.split(command)[1:])

    written = sorted((project.root / "versions").glob("*_note_is_body.py"))[0].read_text()
    upgrade = written.split("def downgrade", 1)[0]
    assert "op.alter_column('AuditNote', 'note'," in upgrade and \
        "new_column_name='body'" in upgrade and "drop_column" not in upgrade
    assert '# nivomigrate: waive renaming-column "AuditNote"' in written
    assert "  body String @default(\"\")\n" in (project.root / "schema.prisma").read_text()
    git(project, "add", "-A")
    git(project, "commit", "-qm", "note is body")
    promote_all(project)


def test_tables_renamed_in_the_models_are_refused_naming_the_renames_which_pass(project):
    """Renamed `__tablename__`s look like tables dropped (their data lost) and created:
    refused, exit 2, nothing written, naming the `--rename Old:New` that says it; run as
    printed, the revision renames the tables and the keys and indexes whose names follow
    them, keeps the foreign keys onto them (a self-relation, another table's), maps the
    models in schema.prisma, moves the owners, and reaches prod with the rows."""
    for env in ("staging", "prod"):  # the app wrote a note
        with psycopg.connect(project.urls[env], autocommit=True) as conn:
            conn.execute("""insert into "AuditNote" (id, "userId") values ('n1', 'u1')""")
    models = project.root / MODELS
    models.write_text(_steps(
        models.read_text(),
        _in_class("AuditNote", '    __tablename__ = "AuditNote"\n',
                  '    __tablename__ = "audit_notes"\n'),
        _in_class("Team", '    __tablename__ = "Team"\n', '    __tablename__ = "teams"\n'),
        lambda t: t.replace('references("Team", ', 'references("teams", ')))

    refused = run(project, "revision", "-m", "snake tables")

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "error: the models drop table AuditNote and create audit_notes; drop table Team " \
        "and create teams with the same columns" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert git(project, "status", "--porcelain").strip() == f"M {MODELS}"
    command = _hint(refused).split("if it is a rename: ", 1)[1].split(";", 1)[0]
    assert command == 'nivomigrate revision -m "snake tables" --rename ' \
        "AuditNote:audit_notes --rename Team:teams"
    ok(project, *shlex.split(command)[1:])

    written = sorted((project.root / "versions").glob("*_snake_tables.py"))[0].read_text()
    upgrade, downgrade = written.split("def downgrade", 1)
    assert 'ALTER TABLE "AuditNote" RENAME TO "audit_notes"' in upgrade
    assert 'ALTER TABLE "audit_notes" RENAME CONSTRAINT "AuditNote_pkey" TO ' \
        '"audit_notes_pkey"' in upgrade
    assert 'ALTER INDEX "Team_parentId_idx" RENAME TO "teams_parentId_idx"' in upgrade
    assert 'ALTER TABLE "teams" RENAME TO "Team"' in downgrade
    for dropped in ("drop_table", "create_table", "drop_constraint", "foreign_key"):
        assert dropped not in upgrade, dropped  # TeamMember's key onto Team is kept
    assert '# nivomigrate: waive renaming-table "Team"' in written
    schema = (project.root / "schema.prisma").read_text()
    assert '@@map("audit_notes")' in schema.split("model AuditNote {", 1)[1].split("}", 1)[0]
    assert '@@map("teams")' in schema.split("model Team {", 1)[1].split("}", 1)[0]
    services = (project.root / "policies" / "services.yaml").read_text()
    assert "  teams: studio" in services and "  audit_notes: studio" in services
    git(project, "add", "-A")
    git(project, "commit", "-qm", "snake tables")
    promote_all(project)
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute("""select id, "userId" from audit_notes""").fetchall() == \
            [("n1", "u1")]
        assert conn.execute("""select confrelid::regclass::text from pg_constraint
                               where conname = 'TeamMember_teamId_fkey'""").fetchone()[0] \
            == "teams"


def test_a_required_column_from_the_models_is_refused_as_from_schema_prisma(project):
    """The same refusal as `revision --from-prisma` gives (same words, exit 2, nothing
    written), its steps in the models' words; each step run as printed reaches prod."""
    models = project.root / MODELS
    before = models.read_text()
    updated = "    updatedAt: Mapped[datetime]\n"
    models.write_text(_in_class("User", updated, updated + "    region: Mapped[str]\n")(before))

    refused = run(project, "revision", "-m", "regions")

    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "error: User.region is a required field without a default added to an existing " \
        "model: adding it fails on a table with rows" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert git(project, "status", "--porcelain").strip() == f"M {MODELS}"
    hint = _hint(refused)
    optional = hint.split("(1) declare it optional (`", 1)[1].split("`", 1)[0]
    required = hint.split("(3) make it required (`", 1)[1].split("`", 1)[0]
    command = hint.split("and run `", 1)[1].split("`", 1)[0]
    assert (optional, required) == ("region: Mapped[str | None]", "region: Mapped[str]")
    assert command == 'nivomigrate revision -m "..."'

    models.write_text(_in_class("User", updated, f"{updated}    {optional}\n")(before))  # (1)
    ok(project, *shlex.split(command)[1:])
    git(project, "add", "-A")
    git(project, "commit", "-qm", optional)
    promote_all(project)
    assert "  region String?\n" in (project.root / "schema.prisma").read_text()

    for env in ("staging", "prod"):  # (2): the app fills it, on every environment
        with psycopg.connect(project.urls[env], autocommit=True) as conn:
            conn.execute("""update "User" set region = 'eu'""")
    models.write_text(_in_class("User", updated, f"{updated}    {required}\n")(before))  # (3)
    ok(project, *shlex.split(command)[1:])
    git(project, "add", "-A")
    git(project, "commit", "-qm", required)
    gate = run(project, "plan", "all", "--gate", "merge")
    assert gate.returncode == 0, [line for line in gate.stdout.splitlines()
                                  if line.startswith("error")]
    promote_all(project)
    assert "  region String\n" in (project.root / "schema.prisma").read_text()
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute("""select count(*) from "User" where region = 'eu'""").fetchone()[0] \
            == ROWS
