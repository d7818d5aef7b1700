"""Small alembic projects in a temporary folder, for the safety tests (checks, runner, ops)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from nivomigrate.config import Settings, Timeouts, load_settings

_REVISION = '''"""{message}"""
import sqlalchemy as sa
from alembic import op

from nivomigrate import ops

revision = {id!r}
down_revision = {down!r}


def upgrade():
{body}


def downgrade():
    pass
'''


def write_revisions(folder: Path, bodies: list[str]) -> None:
    """Write revisions r1, r2, ... in a chain, each with the given `upgrade()` body."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, body in enumerate(bodies, start=1):
        down = f"r{number - 1}" if number > 1 else None
        text = _REVISION.format(message=f"revision {number}", id=f"r{number}", down=down,
                                body=textwrap.indent(textwrap.dedent(body).strip(), "    "))
        (folder / f"r{number}_revision.py").write_text(text)


def make_project(
    root: Path,
    bodies: list[str],
    *,
    staging_url: str | None = None,
    prod_url: str | None = None,
    promotion: str | None = None,
    services: str | None = None,
    timeouts: Timeouts | None = None,
) -> Settings:
    """Write nivomigrate.toml, versions/ and policies/ under `root` and return its Settings."""
    write_revisions(root / "versions", bodies)
    (root / "policies").mkdir(exist_ok=True)
    if promotion is not None:
        (root / "policies" / "promotion.yaml").write_text(textwrap.dedent(promotion))
    if services is not None:
        (root / "policies" / "services.yaml").write_text(textwrap.dedent(services))
    timeouts = timeouts or Timeouts(lock_timeout_ms=2000, statement_timeout_ms=60_000)
    (root / "nivomigrate.toml").write_text(textwrap.dedent(f"""\
        versions = "versions"
        policies = "policies"
        [environments.staging]
        url_env = "T_STAGING_URL"
        [environments.prod]
        url_env = "T_PROD_URL"
        promoted_from = "staging"
        [timeouts]
        lock_timeout_ms = {timeouts.lock_timeout_ms}
        statement_timeout_ms = {timeouts.statement_timeout_ms}
        lock_retries = {timeouts.lock_retries}
        """))
    environ = {key: value for key, value in
               (("T_STAGING_URL", staging_url), ("T_PROD_URL", prod_url)) if value}
    return load_settings(project_root=root, environ=environ)


def make_table(url: str, rows: int = 100) -> None:
    """Create table "T" (id, a) with `rows` rows, analysed, in the database at `url`."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute('create table "T" (id bigint primary key, a text)')
        conn.execute('insert into "T" select g, md5(g::text) from generate_series(1, %s) g',
                     (rows,))
        conn.execute('analyze "T"')
