"""`nivomigrate revision -m` writes what the gate passes: for each kind of change a developer
makes to the models, the written revision has no lint error (squawk and the context checks,
with staging's and prod's facts), `check` agrees afterwards, and the whole change goes
through `plan all --gate merge`, `apply staging` and `promote prod` with no hand edit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

AUDIT_EVENT = '''

class AuditEvent(Base):
    __tablename__ = "AuditEvent"
    __table_args__ = (index("projectId", "createdAt"),)

    id: Mapped[str] = mapped_column(primary_key=True)
    projectId: Mapped[str] = mapped_column(references("Project", on_delete="Cascade"))
    action: Mapped[str]
    createdAt: Mapped[datetime] = mapped_column(server_default=NOW)
'''


def _edit(root: Path, module: str, old: str, new: str) -> None:
    path = root / "nivostack_schema" / module
    text = path.read_text()
    assert old in text, f"{old!r} not in {module}"
    path.write_text(text.replace(old, new, 1))


def _plan_args(root: Path, *args: str) -> None:
    _edit(root, "studio.py", '        index("isPublic"),\n    )',
          '        index("isPublic"),\n' + "".join(f"        {a},\n" for a in args) + "    )")


def _plan_column(root: Path, line: str) -> None:
    _edit(root, "studio.py", "    maxLogs: Mapped[int | None]\n",
          f"    maxLogs: Mapped[int | None]\n    {line}\n")


def _table(root: Path) -> None:
    path = root / "nivostack_schema" / "ingest.py"
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
        root, "ingest.py", "    userId: Mapped[str | None]\n",
        '    userId: Mapped[str | None] = mapped_column(references("User", on_delete="SetNull"))\n'),
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
    return subprocess.run([sys.executable, "-m", "nivomigrate", *args], cwd=project.root,
                          env={**os.environ, **project.environ}, capture_output=True,
                          text=True, timeout=600)


def _errors(result: subprocess.CompletedProcess) -> list[str]:
    report = json.loads(result.stdout)
    return [f"{f['check']}: {f['message']}" for f in report["findings"]
            if f["severity"] == "error"]


def _prepare(project) -> None:
    studio = project.root / "nivostack_schema" / "studio.py"
    future = "from __future__ import annotations\n"
    studio.write_text(studio.read_text().replace(future, future + "\nimport sqlalchemy as sa\n", 1))


@pytest.mark.parametrize("kind", sorted(CHANGES))
def test_generated_revision_has_no_lint_error(project, kind):
    _prepare(project)
    CHANGES[kind](project.root)

    written = _nivomigrate(project, "revision", "-m", kind)
    assert written.returncode == 0, written.stderr
    text = Path(written.stdout.split("wrote ", 1)[1].strip()).read_text()
    lint = _nivomigrate(project, "lint", "--format", "json")
    check = _nivomigrate(project, "check")

    assert _errors(lint) == [] and lint.returncode == 0, (text, lint.stdout[-3000:])
    assert check.returncode == 0, (text, check.stdout[-2000:])
    assert "op.create_index(" not in text or kind == "table-add"
    assert "op.drop_index(" not in text and "op.create_foreign_key(" not in text


def test_foreign_key_change_is_never_without_its_constraint(project):
    """An onDelete change: the old constraint is dropped in the transaction that adds the new
    one NOT VALID; VALIDATE runs afterwards, outside it."""
    _prepare(project)
    CHANGES["foreign-key-change"](project.root)
    written = _nivomigrate(project, "revision", "-m", "cascade devices")
    assert written.returncode == 0, written.stderr
    revision = project.head()
    from nivomigrate import migrations

    settings = project.settings()
    chain = migrations.revisions(settings.versions_dir)
    steps = migrations.steps_of(settings.versions_dir, chain[-1])
    assert chain[-1].id == revision
    together = [s for s in steps if any("DROP CONSTRAINT" in q for q in s.statements)]
    assert len(together) == 1 and together[0].kind == "transaction"
    assert any("ADD CONSTRAINT" in q and "NOT VALID" in q for q in together[0].statements)
    assert any(s.kind == "statement" and "VALIDATE CONSTRAINT" in s.statements[0]
               for s in steps)


def test_every_change_kind_at_once_reaches_prod_with_no_hand_edit(project):
    _prepare(project)
    for kind in ("index-add", "index-drop", "unique", "foreign-key-change", "check",
                 "column-nullable", "column-default", "table-add", "foreign-key-add"):
        CHANGES[kind](project.root)
    written = _nivomigrate(project, "revision", "-m", "everything")
    assert written.returncode == 0, written.stderr
    subprocess.run(["git", "init", "-q"], cwd=project.root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=project.root, check=True)
    subprocess.run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x"],
                   cwd=project.root, check=True)

    for command in (["plan", "all", "--gate", "merge"], ["apply", "staging"],
                    ["promote", "prod"], ["diff", "staging", "prod"], ["check"]):
        result = _nivomigrate(project, *command)
        assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-2000:])
    with psycopg.connect(project.urls["prod"]) as conn:
        valid = conn.execute("select bool_and(convalidated) from pg_constraint c join pg_class t "
                             "on t.oid = c.conrelid where t.relname in ('Plan', 'Device')"
                             ).fetchone()[0]
    assert valid
