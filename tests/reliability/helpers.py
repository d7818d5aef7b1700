"""Helpers of the reliability tests: revisions to write, probes of the databases."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import psycopg

from nivomigrate.snapshot import take_snapshot
from tests.conftest import CANARY_PASSWORD
from tests.steps.conftest import Project

REPO = Path(__file__).resolve().parents[2]

# --- projects ----------------------------------------------------------------------------------

REVISION = '''"""{message}"""
{imports}
from alembic import op

revision = "{id}"
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade() -> None:
{body}


def downgrade() -> None:
    pass
'''


def write_revision(project: Project, body: str, *, name: str, message: str = "",
                   imports: str = "", down: str | None = None,
                   revision_id: str | None = None) -> str:
    """Write the next revision whose upgrade() is `body` (indented here); return its id."""
    from nivomigrate import migrations

    versions = project.root / "versions"
    head = down or migrations.head(versions)
    new_id = revision_id or f"{int(head) + 1:04d}"
    indented = "\n".join("    " + line if line else "" for line in body.strip("\n").splitlines())
    (versions / f"{new_id}_{name}.py").write_text(REVISION.format(
        message=message or name.replace("_", " "), imports=imports, id=new_id, down=head,
        body=indented))
    _own_new_tables(project, body)
    return new_id


def _own_new_tables(project: Project, body: str) -> None:
    """Give each table the revision creates an owner in the project's services.yaml, as a team
    would (a table no service owns blocks apply: `unmapped-table`)."""
    import re

    tables = re.findall(r'create_table\("(\w+)"|CREATE TABLE "(\w+)"', body)
    services = project.root / "policies" / "services.yaml"
    text = services.read_text()
    for table in {a or b for a, b in tables}:
        if f"\n  {table}: " not in text:
            text = text.replace("\nowners:\n", f"\nowners:\n  {table}: ingest\n", 1)
    services.write_text(text)


# Pauses inside a revision, only where the test asks for them (NIVO_TEST_PAUSE_S in the run's
# environment): staging, the shadow builds and the re-runs go at full speed. Offline rendering,
# which computes the checksums, never sees them, so the revision's checksums do not change.
PAUSE_VARIABLE = "NIVO_TEST_PAUSE_S"
PAUSE_IMPORTS = "import os\nimport time"
# Before the revision's first statement: the database sees nothing of it while it lasts.
PAUSE_IN_PYTHON = f"""
if not op.get_context().as_sql:
    time.sleep(float(os.environ.get("{PAUSE_VARIABLE}", "0")))
"""
# A statement of the revision, in its transaction: pg_sleep(N) in pg_stat_activity.
PAUSE_IN_SQL = f"""
if not op.get_context().as_sql:
    op.execute("SELECT pg_sleep(" + os.environ.get("{PAUSE_VARIABLE}", "0") + ")")
"""


def paused(project: Project, seconds: int = 3) -> dict[str, str]:
    """Return the project's run environment with the revisions' pauses set to `seconds`."""
    return {**project.environ, PAUSE_VARIABLE: str(seconds)}


def copy_project(folder: Path, urls: dict[str, str], shadow_url: str) -> Project:
    """Copy the project files into `folder`/project and return the copy with `urls`."""
    from tests.steps.conftest import copy_project as copy_files

    folder.mkdir(parents=True, exist_ok=True)
    return Project(copy_files(folder), urls, shadow_url)


def fingerprint(url: str) -> str:
    with psycopg.connect(url) as conn:
        return take_snapshot(conn).fingerprint


def current_revision(url: str) -> str | None:
    from nivomigrate import migrations

    with psycopg.connect(url) as conn:
        return migrations.current_revision(conn)


def ledger_rows(url: str) -> list[tuple]:
    """Return (id, kind, status, from, to, reason) of every run, oldest first."""
    with psycopg.connect(url) as conn:
        if not conn.execute("select to_regclass('nivomigrate.runs')").fetchone()[0]:
            return []
        return conn.execute("select id, kind, status, from_revision, to_revision, reason "
                            "from nivomigrate.runs order by id").fetchall()


def state(project: Project) -> dict[str, tuple]:
    """Each environment's revision, schema fingerprint and ledger: to compare before/after."""
    return {env: (current_revision(url), fingerprint(url), ledger_rows(url))
            for env, url in project.urls.items()}


def wait_until(probe: Callable[[], object], *, timeout: float = 30, every: float = 0.02,
               what: str = "the condition") -> object:
    """Call `probe` until it returns something truthy; return that.

    Raises:
        AssertionError: `timeout` seconds passed.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Probe:
    """An autocommit connection polling one database from the outside."""

    def __init__(self, url: str):
        self.conn = psycopg.connect(url, autocommit=True)

    def close(self) -> None:
        self.conn.close()

    def running_run(self) -> int | None:
        """Return the id of the newest run the ledger shows as running, None when none."""
        if not self._has_ledger():
            return None
        row = self.conn.execute("select max(id) from nivomigrate.runs "
                                "where status = 'running'").fetchone()
        return row[0]

    def revision(self) -> str | None:
        from nivomigrate import migrations

        return migrations.current_revision(self.conn)

    def active_query(self, fragment: str, *, waiting: bool = False) -> int | None:
        """Return the pid of nivomigrate's session running a query containing `fragment`."""
        row = self.conn.execute(
            "select pid from pg_stat_activity where application_name like 'nivomigrate%%' "
            "and state = 'active' and position(%s in query) > 0 "
            "and (not %s or wait_event_type = 'Lock') limit 1",
            (fragment, waiting),
        ).fetchone()
        return row[0] if row else None

    def nivomigrate_pids(self) -> list[int]:
        return [row[0] for row in self.conn.execute(
            "select pid from pg_stat_activity where application_name like 'nivomigrate%' "
            "and datname = current_database()").fetchall()]

    def _has_ledger(self) -> bool:
        return bool(self.conn.execute("select to_regclass('nivomigrate.runs')").fetchone()[0])



def canary_forms() -> list[str]:
    """The canary password as it may leak: raw, percent-encoded, half-encoded."""
    return sorted({CANARY_PASSWORD, quote(CANARY_PASSWORD, safe=""),
                   quote(CANARY_PASSWORD, safe="/:"), quote(CANARY_PASSWORD, safe="@/:"),
                   CANARY_PASSWORD.replace("%", "%25")})


def one_error(outcome) -> bool:
    """Tell whether stderr ends in one `error:` line and at most one `hint:` line after it,
    with no traceback anywhere."""
    lines = outcome.stderr.strip().splitlines()
    errors = [i for i, line in enumerate(lines) if line.startswith("error:")]
    if "Traceback" in outcome.stderr or len(errors) != 1:
        return False
    tail = lines[errors[0] + 1:]
    return tail == [] or (len(tail) == 1 and tail[0].startswith("hint:"))
