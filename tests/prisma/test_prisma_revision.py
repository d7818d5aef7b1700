"""Prisma's SQL as a revision: index changes CONCURRENTLY, foreign keys NOT VALID first."""

from __future__ import annotations

import ast
import subprocess
import sys

from nivomigrate.prisma.revision import python_calls, revision_text, statements
from tests.prisma.conftest import REPO

PRISMA_SQL = '''-- DropForeignKey
ALTER TABLE "Log" DROP CONSTRAINT "Log_deviceId_fkey";

-- DropIndex
DROP INDEX "Log_projectId_idx";

-- CreateIndex
CREATE INDEX "Log_projectId_createdAt_idx" ON "Log"("projectId", "createdAt" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "Device_deviceCode_key" ON "Device" USING HASH ("deviceCode");

-- AddForeignKey
''' + ('ALTER TABLE "Log" ADD CONSTRAINT "Log_deviceId_fkey" FOREIGN KEY ("deviceId") '
       'REFERENCES "Device"("id") ON DELETE CASCADE ON UPDATE CASCADE;\n')


def test_statements_are_split_without_comments():
    found = statements(PRISMA_SQL)
    assert len(found) == 5
    assert found[1] == 'DROP INDEX "Log_projectId_idx"'


def test_index_and_foreign_key_statements_become_online_helpers():
    body = python_calls(PRISMA_SQL)
    assert "drop_index_concurrently('Log_projectId_idx')" in body
    assert "'Log_projectId_createdAt_idx', 'Log', ['\"projectId\"', '\"createdAt\" DESC']" in body
    assert "unique=True, using='hash'" in body
    # The key is replaced (same name): dropped and added NOT VALID together, then validated.
    assert 'ALTER TABLE "Log" DROP CONSTRAINT "Log_deviceId_fkey"' in body
    assert "ON DELETE CASCADE ON UPDATE CASCADE NOT VALID" in body
    assert "validate_constraint_online('Log_deviceId_fkey', 'Log')" in body
    new_key = python_calls('ALTER TABLE "Log" ADD CONSTRAINT "Log_tagId_fkey" FOREIGN KEY '
                           '("tagId") REFERENCES "Tag"("id") ON DELETE CASCADE ON UPDATE '
                           "CASCADE;")
    assert "add_foreign_key_online(" in new_key and "on_delete='CASCADE'" in new_key


def test_revision_file_is_valid_python_that_ruff_accepts(tmp_path):
    text = revision_text("0003", "0002", "Follow schema.prisma", "  old: x\n  new: y",
                         PRISMA_SQL, 'DROP INDEX "Log_projectId_createdAt_idx";')
    tree = ast.parse(text)
    assert {node.name for node in tree.body if isinstance(node, ast.FunctionDef)} == {
        "upgrade", "downgrade"}
    path = tmp_path / "0003_follow.py"
    path.write_text(text)
    ruff = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                           str(REPO / "pyproject.toml"), str(path)],
                          capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout


def test_empty_diff_is_pass():
    assert python_calls("") == "    pass"


REPLACED_KEY = """-- DropForeignKey
ALTER TABLE "Project" DROP CONSTRAINT "Project_userId_fkey";

-- AlterTable
ALTER TABLE "User" ALTER COLUMN "nickname" SET NOT NULL,
ALTER COLUMN "plan" SET DEFAULT 'trial';

-- AddForeignKey
ALTER TABLE "Project" ADD CONSTRAINT "Project_userId_fkey" FOREIGN KEY ("userId") \
REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
"""


def test_a_replaced_foreign_key_is_never_missing_and_not_null_is_set_online():
    body = python_calls(REPLACED_KEY)
    assert body.splitlines() == [
        '    op.execute("""',
        'ALTER TABLE "User" ALTER COLUMN "plan" SET DEFAULT \'trial\'',
        '""")',
        "    set_not_null_online('User', 'nickname')",
        '    op.execute("""',
        'ALTER TABLE "Project" DROP CONSTRAINT "Project_userId_fkey"',
        '""")',
        '    op.execute("""',
        'ALTER TABLE "Project" ADD CONSTRAINT "Project_userId_fkey" FOREIGN KEY ("userId")',
        '    REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID',
        '""")',
        "    validate_constraint_online('Project_userId_fkey', 'Project')",
    ]
