"""Answers kept in the cache folder under the hash of their question.

For work whose answer is a function of its inputs alone and costs seconds: Prisma's answers
(`prisma/render.py`), the snapshot of a shadow template (`engine/build.py`), a downgrade proven
in the shadow server (`engine/way_back.py`). The question names every input (content hashes,
server version, nivomigrate's version), so a kept answer is the one the work would give.

A file is written whole or not at all (renamed into place), so concurrent processes read a
whole answer or none. An unreadable or unwritable folder is no cache: the work runs.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from nivomigrate import __version__


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
    text = json.dumps([__version__, *question], default=str)
    return folder / f"{hashlib.sha256(text.encode()).hexdigest()}.json"
