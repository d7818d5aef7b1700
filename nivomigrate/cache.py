"""Answers kept in the cache folder under the hash of their question.

For work whose answer is a function of its inputs alone and costs seconds: Prisma's answers
(`prisma/render.py`), the snapshot of a shadow template (`engine/build.py`), a downgrade proven
in the shadow server (`engine/way_back.py`). The question names every input (content hashes,
server version, nivomigrate's code), so a kept answer is the one the work would give.

A file is written whole or not at all (renamed into place), so concurrent processes read a
whole answer or none. An unreadable or unwritable folder is no cache: the work runs.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path


def kept(folder: Path | None, question: list) -> object | None:
    """Return the answer kept for `question` in `folder`, None when there is none."""
    path = _path(folder, question)
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))["answer"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def keep(folder: Path | None, question: list, answer: object) -> None:
    """Keep `answer` (JSON-serialisable) for `question` in `folder` (best effort)."""
    path = _path(folder, question)
    if path is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        partial.write_text(json.dumps({"answer": answer}), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        pass


def _path(folder: Path | None, question: list) -> Path | None:
    if folder is None:
        return None
    text = json.dumps([_code(), *question], default=str)
    return folder / f"{hashlib.sha256(text.encode()).hexdigest()}.json"


@functools.cache
def _code() -> str:
    """The hash of nivomigrate's own code (its .py and .sql files, read once a process:
    5 ms): an answer one version's code gave is never read by another, released or not (an
    editable install's version number stays the same while its code changes)."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".sql") and "__pycache__" not in path.parts:
            digest.update(f"{path.relative_to(package)}\0".encode() + path.read_bytes())
    return digest.hexdigest()
