"""prisma check / write on the fixture copy of NivoStack's schema.prisma (the one the baseline
came from), with real Prisma and real PostgreSQL: revision 0002's 12 added and 35 dropped
indexes are listed by model, `prisma write` brings the file to head, and Prisma's DDL of the
written file equals head."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest
from report_schema import schema_errors

from nivomigrate import migrations
from nivomigrate.db import Target, connection
from nivomigrate.engine.build import snapshot_at
from nivomigrate.errors import ConfigError
from nivomigrate.prisma.render import INSTALL_COMMAND, find_cli, formatted, render_ddl, validate
from nivomigrate.prisma.schema import read_schema
from nivomigrate.prisma.write import apply_changes
from nivomigrate.render.json import render_json
from nivomigrate.snapshot import compare, take_snapshot
from nivomigrate.steps.prisma import check_prisma, revision_from_prisma, write_prisma
from tests import forked_cli
from tests.conftest import CANARY_PASSWORD
from tests.prisma.conftest import NIVOSTACK_SCHEMA, REPO, cli_for, settings_for
from tests.steps.conftest import copy_project

REVISION_0002 = runpy.run_path(str(REPO / "versions" / "0002_hot_query_indexes.py"))


def _expected(entries: list) -> set[tuple[str, str]]:
    return {(table, f"@@index([{', '.join(columns)}])") for _, table, columns in entries}


@pytest.fixture
def head_settings(canary_admin_url: str):
    return settings_for(REPO, canary_admin_url)


@pytest.fixture
def prisma_cli(pg_admin_url: str):
    return cli_for(pg_admin_url)


@pytest.fixture
def fixture_copy(tmp_path: Path) -> Path:
    path = tmp_path / "schema.prisma"
    shutil.copy(NIVOSTACK_SCHEMA, path)
    return path


def test_check_lists_0002s_added_and_dropped_indexes_by_model(head_settings, fixture_copy):
    report = check_prisma(head_settings, fixture_copy)
    assert report.exit_code == 1
    changes = report.data["changes"]
    added = {(c["model"], c["attribute"]) for c in changes if c["action"] == "add"}
    removed = {(c["model"], c["attribute"]) for c in changes if c["action"] == "remove"}
    assert added == _expected(REVISION_0002["ADDED"]) and len(added) == 12
    assert removed == _expected(REVISION_0002["DROPPED"]) and len(removed) == 35
    assert len(changes) == 47
    log = next(f for f in report.findings if f.location.object == "Log")
    assert "add @@index([projectId, createdAt])" in log.message
    assert "remove @@index([projectId])" in log.message
    assert "nivomigrate prisma write" in log.help
    assert report.data["cannot_express"] == []
    assert schema_errors(render_json(report)) == []


def test_write_brings_the_fixture_to_head(head_settings, fixture_copy, prisma_cli):
    original = fixture_copy.read_text()
    report = write_prisma(head_settings, fixture_copy)
    assert report.exit_code == 0 and report.data["written"]
    assert schema_errors(render_json(report)) == []
    written = fixture_copy.read_text()
    diff = next(s.text for s in report.sections if s.title.startswith("Change written"))
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    assert {line[1:].strip().split("(")[0] for line in changed} <= {"@@index", "}", ""}
    assert sum(line.startswith("+  @@index") for line in changed) == 12
    assert sum(line.startswith("-  @@index") for line in changed) == 35
    # The rest of the file is unchanged, comments included.
    kept = [line for line in original.splitlines() if "@@index" not in line and line.strip()]
    assert [line for line in written.splitlines()
            if "@@index" not in line and line.strip()] == kept
    assert check_prisma(head_settings, fixture_copy).exit_code == 0
    validate(prisma_cli, fixture_copy)
    # NivoStack's file was never run through `prisma format`; what write adds is formatted:
    # formatting the written file gives what writing the formatted file gives.
    formatted_original = formatted(prisma_cli, original)
    rewritten_formatted = _written(head_settings, formatted_original, fixture_copy.parent)
    assert formatted(prisma_cli, written) == rewritten_formatted
    assert formatted(prisma_cli, rewritten_formatted) == rewritten_formatted


def _written(settings, text: str, folder: Path) -> str:
    path = folder / "formatted.prisma"
    path.write_text(text)
    write_prisma(settings, path)
    return path.read_text()


def test_prismas_ddl_of_the_written_schema_equals_head(head_settings, fixture_copy,
                                                       prisma_cli, make_database):
    write_prisma(head_settings, fixture_copy)
    url = make_database("nivo_prisma_written")
    with connection(Target("prisma", url, "test"), writes=True) as conn:
        conn.execute(render_ddl(prisma_cli, fixture_copy))
    with connection(Target("prisma", url, "test"), writes=False) as conn:
        prisma = take_snapshot(conn)
    head = snapshot_at(head_settings, migrations.head(head_settings.versions_dir))
    difference = compare(head, prisma)
    kinds = ("table ", "column ", "index ", "constraint ", "enum ")
    assert not [key for key in difference.added + difference.removed if key.startswith(kinds)]
    assert not [c.key for c in difference.changed if c.key.startswith(kinds)]
    assert sum(key.startswith("index ") for key in head.objects) == sum(
        key.startswith("index ") for key in prisma.objects)


def test_what_prisma_cannot_express_is_listed_and_does_not_block(tmp_path, canary_admin_url,
                                                                  fixture_copy):
    root = copy_project(tmp_path)
    (root / "versions" / "0003_extras.py").write_text('''"""Objects Prisma cannot declare."""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('CREATE VIEW "RecentLog" AS SELECT id FROM "Log"')
    op.execute('ALTER TABLE "Log" ADD CONSTRAINT "Log_level_known" CHECK (level <> \\'\\')')
    op.execute('CREATE INDEX "Log_errors_idx" ON "Log" ("createdAt") WHERE level = \\'error\\'')
    op.execute('CREATE INDEX "Log_lower_tag_idx" ON "Log" (lower(tag))')
    op.execute('ALTER TABLE "Log" ENABLE ROW LEVEL SECURITY')
    op.execute('CREATE POLICY "Log_read" ON "Log" FOR SELECT USING (true)')


def downgrade() -> None:
    pass
''')
    settings = settings_for(root, canary_admin_url)
    write_prisma(settings, fixture_copy)
    report = check_prisma(settings, fixture_copy)
    assert report.exit_code == 0
    left_out = {(item["object"], item["what"].split(" (")[0])
                for item in report.data["cannot_express"]}
    assert left_out == {
        ("view public.RecentLog", "a view"),
        ("constraint public.Log.Log_level_known", "a CHECK constraint"),
        ("index public.Log_errors_idx", "an index Prisma cannot declare"),
        ("index public.Log_lower_tag_idx", "an index Prisma cannot declare"),
        ("table public.Log", "row level security"),
        ("policy public.Log.Log_read", "a policy"),
    }
    section = next(s for s in report.sections if "cannot declare" in s.title)
    assert "`db push` would drop or ignore this" in section.title


def test_a_missing_cli_is_exit_2_with_the_install_command(tmp_path):
    with pytest.raises(ConfigError) as refused:
        find_cli(tmp_path, "postgresql://x@127.0.0.1/x", {}, folders=(tmp_path / "none",))
    assert refused.value.exit_code == 2
    assert INSTALL_COMMAND in refused.value.hint


def test_no_schema_given_or_configured_is_exit_2(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    result = forked_cli.run("prisma", "check", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no Prisma schema given")
    assert 'prisma_schema = "..."' in result.stderr


def test_an_invalid_schema_is_exit_2_naming_prismas_complaint(head_settings, tmp_path):
    path = tmp_path / "schema.prisma"
    path.write_text(NIVOSTACK_SCHEMA.read_text().replace("model Log {", "model Log {\n  x Nope"))
    with pytest.raises(ConfigError) as refused:
        check_prisma(head_settings, path)
    assert refused.value.exit_code == 2
    assert "Nope" in refused.value.message
    assert CANARY_PASSWORD not in refused.value.message + (refused.value.hint or "")


def test_unchanged_lines_outside_models_are_kept():
    text = NIVOSTACK_SCHEMA.read_text()
    assert apply_changes(read_schema(text), ()) == text


RELATION_REVISION = '''"""Delete a device's logs with it."""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute('ALTER TABLE "Log" DROP CONSTRAINT "Log_deviceId_fkey"')
    op.execute('ALTER TABLE "Log" ADD CONSTRAINT "Log_device_fkey" FOREIGN KEY ("deviceId") '
               'REFERENCES "Device"(id) ON UPDATE CASCADE ON DELETE CASCADE')


def downgrade() -> None:
    pass
'''


def test_write_rewrites_a_relations_actions_and_name(tmp_path, canary_admin_url, fixture_copy):
    root = copy_project(tmp_path)
    (root / "versions" / "0003_log_device_cascade.py").write_text(RELATION_REVISION)
    settings = settings_for(root, canary_admin_url)
    report = write_prisma(settings, fixture_copy)
    assert report.exit_code == 0
    assert ('device       Device?  @relation(fields: [deviceId], references: [id], '
            'onDelete: Cascade, map: "Log_device_fkey")') in fixture_copy.read_text()
    assert check_prisma(settings, fixture_copy).exit_code == 0


def test_a_missing_field_is_written(tmp_path, canary_admin_url, fixture_copy):
    settings = settings_for(copy_project(tmp_path), canary_admin_url)
    fixture_copy.write_text(fixture_copy.read_text().replace(
        "  fileName     String? // Source file name\n", ""))
    report = write_prisma(settings, fixture_copy)
    assert report.exit_code == 0 and report.data["written"], report.findings
    assert "  fileName String?\n" in fixture_copy.read_text()
    assert check_prisma(settings, fixture_copy).exit_code == 0


def test_a_new_model_without_a_committed_schema_at_head_is_refused(tmp_path, canary_admin_url,
                                                                   fixture_copy):
    # A project copy without git: no committed schema.prisma to diff a new model from.
    settings = settings_for(copy_project(tmp_path), canary_admin_url)
    write_prisma(settings, fixture_copy)
    fixture_copy.write_text(fixture_copy.read_text() + "\nmodel Extra {\n  id String @id\n}\n")
    with pytest.raises(ConfigError) as refused:
        revision_from_prisma(settings, fixture_copy, None)
    assert refused.value.exit_code == 2
    assert "no committed schema.prisma is at revision 0002" in refused.value.message
    assert "commit schema.prisma" in refused.value.hint
    assert list(settings.versions_dir.glob("0003_*")) == []


def test_revision_without_message_or_from_prisma_is_exit_2(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    result = forked_cli.run("revision", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: revision needs -m")
    assert "Traceback" not in result.stderr


def test_the_diff_shown_keeps_closing_braces_as_context():
    import difflib

    from nivomigrate.steps.prisma import unified_diff

    # The last model loses its only index: difflib's matcher shows its brace as -} +}.
    old = "".join(f"model M{i} {{\n  id String @id{i}\n\n  @@index([id])\n}}\n\n"
                  for i in range(60)).rstrip("\n") + "\n"
    new = old[:old.rindex("\n\n  @@index")] + "\n}\n"
    diff = unified_diff(old, new, "schema.prisma")
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["-", "-  @@index([id])"]
    small_old, small_new = "a\nb\nc\n", "a\nB\nc\nd\n"
    assert unified_diff(small_old, small_new, "x") == "".join(difflib.unified_diff(
        small_old.splitlines(True), small_new.splitlines(True), "a/x", "b/x"))
