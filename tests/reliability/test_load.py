"""A promotion while writers insert into "Log" without pause: every insert the server
acknowledged is there afterwards, and the writers kept going during the promotion."""

from __future__ import annotations

import threading
import time

import psycopg

from tests.reliability.helpers import current_revision, fingerprint, write_revision

WRITERS = 3
# A column (a brief ACCESS EXCLUSIVE lock) and an index built CONCURRENTLY, both on "Log".
REVISION = """
op.execute('ALTER TABLE "Log" ADD COLUMN "reliabilityNote" TEXT')
create_index_concurrently("Log_reliability_level_tag_idx", "Log", ['"level"', '"tag"'])
"""


class Writer(threading.Thread):
    """Inserts one row per autocommit statement until stopped; counts what was acknowledged."""

    def __init__(self, url: str, number: int, stop: threading.Event):
        super().__init__(daemon=True)
        self.url, self.number, self.stop = url, number, stop
        self.acknowledged: list[float] = []
        self.errors: list[str] = []

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            index = 0
            while not self.stop.is_set():
                index += 1
                try:
                    conn.execute('INSERT INTO "Log" ("id", "projectId", "message") '
                                 "VALUES (%s, 'load-project', 'load')",
                                 (f"load-{self.number}-{index}",))
                except psycopg.Error as exc:
                    self.errors.append(str(exc))
                    continue
                self.acknowledged.append(time.monotonic())


def test_promotion_under_write_load_loses_no_acknowledged_insert(project, cli):
    write_revision(project, REVISION, name="log_under_load",
                   imports="from nivomigrate.ops import create_index_concurrently")
    assert cli(project, "apply", "staging").code == 0
    prod = project.urls["prod"]
    with psycopg.connect(prod, autocommit=True) as conn:
        conn.execute("""INSERT INTO "User" ("id", "email", "password", "updatedAt")
                        VALUES ('load-user', 'load@example.com', '-', now())""")
        conn.execute("""INSERT INTO "Project" ("id", "name", "apiKey", "userId", "updatedAt")
                        VALUES ('load-project', 'load', 'load-key', 'load-user', now())""")
    stop = threading.Event()
    writers = [Writer(prod, number, stop) for number in range(WRITERS)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(0.3)
        started = time.monotonic()
        outcome = cli(project, "promote", "prod")
        finished = time.monotonic()
        time.sleep(0.3)
    finally:
        stop.set()
        for writer in writers:
            writer.join(timeout=30)
    assert outcome.code == 0, outcome
    assert current_revision(prod) == current_revision(project.urls["staging"])
    assert fingerprint(prod) == fingerprint(project.urls["staging"])
    acknowledged = sum(len(writer.acknowledged) for writer in writers)
    during = sum(started <= at <= finished for writer in writers for at in writer.acknowledged)
    assert [error for writer in writers for error in writer.errors] == []
    with psycopg.connect(prod) as conn:
        stored = conn.execute("""SELECT count(*) FROM "Log" WHERE "projectId" = 'load-project'""")
        assert stored.fetchone()[0] == acknowledged
    assert during > 50, f"only {during} inserts during the promotion"
