"""The way-back certificate that `apply staging` makes, on real databases through the CLI:
a reversible revision is proven on staging's rows, a downgrade that drops a column the
revision filled is lossy and says what it loses, and the certificate is in the ledger and in
the JSON, Markdown and HTML reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import psycopg
import pytest

from tests.report_schema import schema_errors

REVISION = '''"""{doc}"""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None
{module}

def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def write_revision(project, name: str, upgrade: list[str], downgrade: list[str] | None,
                   module: str = "") -> str:
    """Write the next revision: each statement an op.execute; no downgrade: `pass`."""
    head = project.head()
    revision_id = f"{int(head) + 1:04d}"
    body = lambda lines: "\n".join(f"    op.execute({line!r})" for line in lines) or "    pass"
    (project.root / "versions" / f"{revision_id}_{name}.py").write_text(REVISION.format(
        doc=name, id=revision_id, down=head, module=module, upgrade=body(upgrade),
        downgrade=body(downgrade or [])))
    return revision_id


def cli(project, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nivomigrate", *args], cwd=project.root,
                          env={**os.environ, **project.environ}, capture_output=True, text=True,
                          timeout=600)


def seed_users(url: str, count: int = 3) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for number in range(count):
            conn.execute('insert into "User" (id, email, password, "updatedAt") values '
                         "(%s, %s, 'x', now())", (f"u{number}", f"u{number}@example.invalid"))


ADD_NICKNAME = ['ALTER TABLE "User" ADD COLUMN "nickname" TEXT']
DROP_NICKNAME = ['ALTER TABLE "User" DROP COLUMN "nickname"']


def test_reversible_revision_is_certified_proven_on_stagings_rows(project):
    seed_users(project.urls["staging"])
    revision = write_revision(project, "nickname", ADD_NICKNAME, DROP_NICKNAME)

    result = cli(project, "apply", "staging", "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert schema_errors(report) == []
    (certificate,) = report["data"]["way_back"]
    assert certificate["revision"] == revision
    assert certificate["verdict"] == "proven"
    assert certificate["method"] == "staging, in a rolled-back transaction"
    assert certificate["tables_compared"] >= 39 and certificate["losses"] == []
    with psycopg.connect(project.urls["staging"]) as conn:
        assert conn.execute("select version_num from alembic_version").fetchone()[0] == revision
        assert conn.execute('select count("nickname") from "User"').fetchone()[0] == 0
        row = conn.execute("select verdict from nivomigrate.certificates where revision = %s",
                           (revision,)).fetchone()
    assert row == ("proven",)


def test_downgrade_dropping_a_filled_column_is_lossy_and_names_it(project):
    seed_users(project.urls["staging"], 3)
    write_revision(project, "nickname_filled",
                   ADD_NICKNAME + ['UPDATE "User" SET "nickname" = "email"'], DROP_NICKNAME)

    result = cli(project, "apply", "staging", "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    (certificate,) = report["data"]["way_back"]
    assert certificate["verdict"] == "lossy"
    assert certificate["losses"] == ['column public.User.nickname (3 values)']
    assert certificate["lossy_tables"] == ["public.User"]
    warnings = [f for f in report["findings"] if f["check"] == "one-way"]
    assert warnings and warnings[0]["severity"] == "warning"
    assert "public.User.nickname (3 values)" in warnings[0]["message"]
    with psycopg.connect(project.urls["staging"]) as conn:  # staging keeps its values
        assert conn.execute('select count("nickname") from "User"').fetchone()[0] == 3
