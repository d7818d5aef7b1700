"""Signed ledger runs: an HMAC-SHA256, with a key only CI holds, over what a run claims.

A database's owner can write any row into `nivomigrate.runs`; without the key
(`NIVOMIGRATE_LEDGER_KEY`, a secret the workflows pass) it cannot make the signature that
`promote` checks. The signed content is the run's canonical JSON: the database it ran in
(its server's system identifier, oid and name, so a row copied from another database does not
verify), its kind, environment, revisions (each with its file, SQL and step checksums), schema
fingerprints and status. The standard library's `hmac` does the work.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nivomigrate.ledger import Run

VERSION = "v1"


def canonical(run: Run, database: tuple[int | None, int, str]) -> bytes:
    """Return the bytes a signature covers: the run's claims and the database it ran in
    (system identifier, oid, name)."""
    content = {
        "version": VERSION, "id": run.id, "kind": run.kind, "environment": run.environment,
        "database": list(database), "from_revision": run.from_revision,
        "to_revision": run.to_revision, "revisions": run.revisions,
        "fingerprint_before": run.fingerprint_before,
        "fingerprint_after": run.fingerprint_after, "status": run.status,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def sign(key: str, run: Run, database: tuple[int | None, int, str]) -> str:
    """Return the signature of `run` in `database`: `v1:` and the hex HMAC-SHA256."""
    digest = hmac.new(key.encode(), canonical(run, database), hashlib.sha256).hexdigest()
    return f"{VERSION}:{digest}"


def is_signed(key: str, run: Run, database: tuple[int | None, int, str]) -> bool:
    """Tell whether `run` carries a valid signature made with `key` in `database`."""
    if not run.signature:
        return False
    return hmac.compare_digest(run.signature, sign(key, run, database))
