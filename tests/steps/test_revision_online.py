"""`nivomigrate revision -m` writes what the gate passes: for each kind of change a developer
makes to the models, the written revision has no lint error (squawk and the context checks,
with staging's and prod's facts), `check` agrees afterwards, and the whole change goes
through `plan all --gate merge`, `apply staging` and `promote prod` with no hand edit.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psycopg

from tests import forked_cli

AUDIT_EVENT = '''

from sqlalchemy import Identity  # noqa: E402


class AuditEvent(Base):
    __tablename__ = "AuditEvent"
    __table_args__ = (index("projectId", "createdAt"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Identity())
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    action: Mapped[str]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
'''


def _edit(root: Path, module: str, old: str, new: str) -> None:
    path = root / "nivostack_models" / module
    text = path.read_text()
    assert old in text, f"{old!r} not in {module}"
    path.write_text(text.replace(old, new, 1))


def _plan_args(root: Path, *args: str) -> None:
    anchor = '        unique_index("name"),\n        index("isActive"),\n'  # Plan's
    _edit(root, "studio.py", anchor, anchor + "".join(f"        {a},\n" for a in args))


def _plan_column(root: Path, line: str) -> None:
    _edit(root, "studio.py", "    maxLogs: Mapped[int | None]\n",
          f"    maxLogs: Mapped[int | None]\n    {line}\n")


def _table(root: Path) -> None:
    path = root / "nivostack_models" / "ingest.py"
    path.write_text(path.read_text() + AUDIT_EVENT)
    services = root / "policies" / "services.yaml"
    services.write_text(services.read_text().replace(
        "  Device: ingest\n", "  Device: ingest\n  AuditEvent: ingest\n", 1))


CHANGES = {
    "index-add": lambda root: _plan_args(root, 'index("currency")'),
    "index-drop": lambda root: _edit(root, "studio.py", '        index("isPublic"),\n', ""),
    "unique": lambda root: _plan_args(
        root, 'sa.UniqueConstraint("displayName", name="Plan_displayName_key")'),
    "foreign-key-add": lambda root: _edit(
        root, "ingest.py", "    userId: Mapped[str | None]\n", "    userId: Mapped[str | None] = "
        'mapped_column(references("User", on_delete="SetNull"))\n'),
    "foreign-key-change": lambda root: _edit(
        root, "ingest.py", 'references("Project", on_delete="SetNull"))\n    deviceId',
        'references("Project", on_delete="Cascade"))\n    deviceId'),
    "check": lambda root: _plan_args(
        root, "sa.CheckConstraint('\"price\" >= 0', name=\"Plan_price_check\")"),
    "column-nullable": lambda root: _plan_column(root, "nickname: Mapped[str | None]"),
    "column-default": lambda root: _plan_column(
        root, 'tier: Mapped[str] = mapped_column(server_default=db_default("free"))'),
    "table-add": _table,
}


def _nivomigrate(project, *args: str) -> subprocess.CompletedProcess:
    return forked_cli.run(*args, cwd=project.root, env={**os.environ, **project.environ},
                          timeout=600)


def _errors(result: subprocess.CompletedProcess) -> list[str]:
    report = json.loads(result.stdout)
    return [f"{f['check']}: {f['message']}" for f in report["findings"]
            if f["severity"] == "error"]


def _prepare(project) -> None:
    studio = project.root / "nivostack_models" / "studio.py"
    future = "from __future__ import annotations\n"
    studio.write_text(studio.read_text().replace(future, future + "\nimport sqlalchemy as sa\n", 1))


# Three revisions (each build of a shadow schema costs), every change kind in one of them.
GROUPS = (("index-add", "index-drop", "unique"), ("foreign-key-change", "check", "foreign-key-add"),
          ("column-nullable", "column-default", "table-add"))


def test_each_generated_revision_passes_the_gate_and_reaches_prod(project):
    """Each change kind written by `revision -m` and linted with staging's and prod's facts;
    then all of them through check, the merge gate, apply, promote."""
    assert {kind for group in GROUPS for kind in group} == set(CHANGES)
    _prepare(project)
    for group in GROUPS:
        for kind in group:
            CHANGES[kind](project.root)
        written = _nivomigrate(project, "revision", "-m", " ".join(group))
        assert written.returncode == 0, (group, written.stderr)
        text = Path(written.stdout.split("wrote ", 1)[1].strip()).read_text()
        lint = _nivomigrate(project, "lint", "--format", "json")
        assert _errors(lint) == [] and lint.returncode == 0, (group, text, lint.stdout[-3000:])
        assert "op.drop_index(" not in text and "op.create_foreign_key(" not in text
        assert "op.create_index(" not in text or "table-add" in group
    _foreign_key_replaced_in_one_transaction(project, 1)
    _table_renamed(project)
    _commit(project.root)

    for command in (["check"], ["plan", "all", "--gate", "merge"], ["apply", "staging"],
                    ["promote", "prod"], ["diff", "staging", "prod"]):
        result = _nivomigrate(project, *command)
        assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-2000:])
    with psycopg.connect(project.urls["prod"]) as conn:
        rows = conn.execute("select c.conname, c.convalidated from pg_constraint c join pg_class t "
                            "on t.oid = c.conrelid where t.relname in ('Plan', 'Device')"
                            ).fetchall()
    assert ("Plan_price_check", True) in rows and all(valid for _, valid in rows)
    with psycopg.connect(project.urls["prod"]) as conn:
        assert conn.execute("select pg_get_serial_sequence('audit_events', 'number')"
                            ).fetchone()[0] == "public.audit_events_number_seq"


def _table_renamed(project) -> None:
    """A renamed `__tablename__` said with --rename: the table, its keys and indexes and its
    identity column's sequence follow (`check` then finds the models and revisions agree)."""
    _edit(project.root, "ingest.py", '__tablename__ = "AuditEvent"',
          '__tablename__ = "audit_events"')
    _edit(project.root, "ingest.py", "    action: Mapped[str]\n",
          "    action: Mapped[str]\n    actor: Mapped[str | None]\n")
    refused = _nivomigrate(project, "revision", "-m", "snake case")  # renamed, a column more
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
    assert "error: the models drop table AuditEvent and create audit_events with the same " \
        "columns (more or fewer)" in refused.stderr
    assert 'hint: if it is a rename: keep the columns as they were in the models, then run ' \
        'nivomigrate revision -m "snake case" --rename AuditEvent:audit_events' in refused.stderr
    _edit(project.root, "ingest.py", "    actor: Mapped[str | None]\n", "")  # as said
    written = _nivomigrate(project, "revision", "-m", "snake case", "--rename",
                           "AuditEvent:audit_events")
    assert written.returncode == 0, written.stderr
    text = Path(written.stdout.split("wrote ", 1)[1].strip()).read_text()
    for statement in ('ALTER TABLE "AuditEvent" RENAME TO "audit_events"',
                      'ALTER INDEX "AuditEvent_projectId_createdAt_idx" RENAME TO '
                      '"audit_events_projectId_createdAt_idx"',
                      'ALTER SEQUENCE "AuditEvent_number_seq" RENAME TO '
                      '"audit_events_number_seq"'):
        assert statement in text.split("def downgrade", 1)[0], (statement, text)
    lint = _nivomigrate(project, "lint", "--format", "json")
    assert _errors(lint) == [] and lint.returncode == 0, (text, lint.stdout[-3000:])
    services = (project.root / "policies" / "services.yaml").read_text()
    assert "  audit_events: ingest\n" in services and "  AuditEvent:" not in services


def _foreign_key_replaced_in_one_transaction(project, position: int) -> None:
    """An onDelete change: the old constraint is dropped in the transaction that adds the new
    one NOT VALID; VALIDATE runs afterwards, outside it."""
    from nivomigrate import migrations

    versions = project.settings().versions_dir
    steps = migrations.steps_of(versions, migrations.revisions(versions)[2 + position])
    together = [s for s in steps if any("DROP CONSTRAINT" in q for q in s.statements)]
    assert len(together) == 1 and together[0].kind == "transaction"
    assert any("ADD CONSTRAINT" in q and "NOT VALID" in q for q in together[0].statements)
    assert any(s.kind == "statement" and "VALIDATE CONSTRAINT" in s.statements[0]
               for s in steps)


def _commit(root: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
                   cwd=root, check=True)
