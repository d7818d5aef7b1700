"""The cache folder: an answer is read back for its question only, and only by the code that
kept it (nivomigrate/cache.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nivomigrate

KEEP_AND_READ = """
import sys
from pathlib import Path
from nivomigrate import cache
folder = Path(sys.argv[1])
if sys.argv[2] == "keep":
    cache.keep(folder, ["question", 1], {"answer": 42})
print(cache.kept(folder, ["question", 1]))
"""


def _run(package_parent: Path, folder: Path, verb: str) -> str:
    """Keep and/or read an answer in a new process importing nivomigrate from
    `package_parent` (its working directory, which `python -c` puts first)."""
    result = subprocess.run([sys.executable, "-c", KEEP_AND_READ, str(folder), verb],
                            env={"PYTHONPATH": str(package_parent)}, cwd=package_parent,
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.strip()


def test_an_answer_is_read_for_its_question_by_the_same_code_only(tmp_path):
    copy = tmp_path / "code"
    shutil.copytree(Path(nivomigrate.__file__).parent, copy / "nivomigrate",
                    ignore=shutil.ignore_patterns("__pycache__"))
    folder = tmp_path / "cache"
    assert _run(copy, folder, "keep") == "{'answer': 42}"
    assert _run(copy, folder, "read") == "{'answer': 42}"  # another process, same code

    # the same version number, one query of the catalog edited: what it kept is not read
    kinds = sorted((copy / "nivomigrate" / "catalog" / "kinds").glob("*.sql"))[0]
    kinds.write_text(kinds.read_text() + "\n-- edited\n")
    assert _run(copy, folder, "read") == "None"
