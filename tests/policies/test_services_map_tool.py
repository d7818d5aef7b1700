"""tools/services_map/operations.py: the statement kinds a service's handlers reach, per model,
read from a monorepo commit (here a tiny one made for the test)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "services_map" / "operations.py"
FILES = {
    "dashboard/src/app/api/logs/route.ts": """
import { purge } from '@/lib/cleanup'
// prisma.log.update({}) in a comment is not a call
export async function POST(req: Request) {
  const note = "prisma.session.delete(";
  await prisma.log.create({ data: { message: note } })
}
export async function DELETE(req: Request) {
  return purge(req)
}
""",
    "dashboard/src/lib/cleanup.ts": """
import { touch } from './touch'
export async function purge(req: Request) {
  await prisma.log.deleteMany({})
  await touch()
}
""",
    "dashboard/src/lib/touch.ts": """
export const touch = async () => prisma.session.upsert({ where: {}, create: {}, update: {} })
""",
}


@pytest.fixture
def tool():
    spec = importlib.util.spec_from_file_location("services_map_operations", TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def monorepo(tmp_path, tool):
    for path, text in FILES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    for command in (["init", "-q"], ["add", "."], ["commit", "-qm", "monorepo"]):
        subprocess.run([*git, *command], check=True, capture_output=True)
    return tool.Monorepo(str(tmp_path / ".git"), "HEAD")


def test_handlers_reach_their_calls_through_helpers_and_imports(tool, monorepo):
    models = {"log": "Log", "session": "Session"}
    assert tool.service_operations(monorepo, ["POST /api/logs"], models) == {"Log": ["insert"]}
    assert tool.service_operations(monorepo, ["DELETE /api/logs"], models) == {
        "Log": ["delete"], "Session": ["insert", "update"]}


def test_written_operations_make_a_delete_only_use_write_no_column(tool, tmp_path):
    services = tmp_path / "services.yaml"
    services.write_text("services:\n  control:\n    tables:\n"
                        '      Log: {reads: ["*"], writes: ["*"]}\n'
                        '      Session: {reads: [id], writes: [id, token]}  # kept\n')
    tool.write_operations(services, {"control": {"Log": ["delete"],
                                                 "Session": ["insert", "update"]}})
    assert services.read_text().splitlines()[3:] == [
        '      Log: {reads: ["*"], writes: [], operations: [delete]}',
        "      Session: {reads: [id], writes: [id, token], operations: [insert, update]}  # kept",
    ]
