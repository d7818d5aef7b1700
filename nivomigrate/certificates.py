"""The ledger's way-back certificates: `nivomigrate.certificates`, one row per revision and
apply run (ledger.sql; docs/rollback.md)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


def record(conn: psycopg.Connection, run_id: int, environment: str,
           certificates: list[dict]) -> None:
    """Keep the certificates (`Certificate.to_json()`) an apply run made, redacted."""
    from nivomigrate.redaction import redact

    for item in certificates:
        conn.execute(
            "insert into nivomigrate.certificates (revision, run_id, environment, verdict,"
            " certificate) values (%s, %s, %s, %s, %s) on conflict (revision, run_id) do update"
            " set verdict = excluded.verdict, certificate = excluded.certificate",
            (item["revision"], run_id, environment, item["verdict"], redact(json.dumps(item))))


def newest(conn: psycopg.Connection, revision_ids: list[str]) -> dict[str, dict]:
    """Return revision id -> its newest certificate among `revision_ids`."""
    return _read(conn, "where revision = any(%s)", (list(revision_ids),))


def _read(conn: psycopg.Connection, where: str, params: tuple) -> dict[str, dict]:
    if not conn.execute("select to_regclass('nivomigrate.certificates') is not null"
                        ).fetchone()[0]:
        return {}
    rows = conn.execute(f"select revision, certificate from nivomigrate.certificates {where}"
                        " order by made_at", params).fetchall()
    return {revision: certificate for revision, certificate in rows}
