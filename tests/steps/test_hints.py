"""Hints that work: each finding's fix, followed literally through the CLI, leads to a passing
run of the command that reported it."""

from __future__ import annotations

import json
import os
import re
import subprocess

from tests import forked_cli

INDEX_REVISION = '''"""An index the models do not have."""
from nivomigrate.ops import create_index_concurrently, drop_index_concurrently

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_index_concurrently("Plan_currency_idx", "Plan", ["currency"])


def downgrade() -> None:
    drop_index_concurrently("Plan_currency_idx")
'''
ORPHAN_MODEL = '''

class Orphan(Base):
    __tablename__ = "Orphan"

    id: Mapped[str] = mapped_column(primary_key=True)
'''


def _nivomigrate(project, *args: str) -> subprocess.CompletedProcess:
    return forked_cli.run(*args, cwd=project.root, env={**os.environ, **project.environ},
                          timeout=600)


def _findings(project, *args: str) -> tuple[int, list[dict]]:
    result = _nivomigrate(project, *args, "--format", "json")
    return result.returncode, json.loads(result.stdout)["findings"]


def _add_index_revision(project) -> None:
    head = project.head()
    revision_id = f"{int(head) + 1:04d}"
    (project.root / "versions" / f"{revision_id}_plan_currency.py").write_text(
        INDEX_REVISION.format(id=revision_id, down=head))


def test_models_match_hint_for_a_plain_index_writes_the_revision_that_passes(project):
    _add_index_revision(project)
    code, found = _findings(project, "check")
    [finding] = [f for f in found if f["check"] == "models-match-revisions"]
    assert code == 1 and "register_entities" not in finding["help"], finding

    command = re.search(r'nivomigrate revision -m "([^"]+)"', finding["help"])
    assert command, finding["help"]
    written = _nivomigrate(project, "revision", "-m", command.group(1))
    assert written.returncode == 0, written.stderr
    assert "drop_index_concurrently('Plan_currency_idx')" in written.stdout or \
        "drop_index_concurrently('Plan_currency_idx')" in open(
            written.stdout.split("wrote ", 1)[1].strip()).read()
    assert _nivomigrate(project, "check").returncode == 0


def test_models_match_hint_the_other_way_adds_it_to_the_models(project):
    _add_index_revision(project)
    code, found = _findings(project, "check")
    [finding] = [f for f in found if f["check"] == "models-match-revisions"]
    assert "add the index to its table's class in the models" in finding["help"]

    studio = project.root / "nivostack_models" / "studio.py"
    anchor = '        unique_index("name"),\n        index("isActive"),\n'  # Plan's
    studio.write_text(studio.read_text().replace(anchor, anchor + '        index("currency"),\n'))
    assert _nivomigrate(project, "check").returncode == 0


def test_unmapped_table_hint_followed_passes_check(project):
    with (project.root / "nivostack_models" / "studio.py").open("a") as models:
        models.write(ORPHAN_MODEL)
    written = _nivomigrate(project, "revision", "-m", "orphan table")
    assert written.returncode == 0, written.stderr
    code, found = _findings(project, "check")
    [finding] = [f for f in found if f["check"] == "unmapped-table"]
    assert code == 1 and finding["help"].startswith("add Orphan: <service> under owners:")

    services = project.root / "policies" / "services.yaml"
    services.write_text(services.read_text().replace("owners:\n", "owners:\n  Orphan: studio\n",
                                                     1))
    assert _nivomigrate(project, "check").returncode == 0
