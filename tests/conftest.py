"""Real PostgreSQL for every test: from NIVOMIGRATE_TEST_DATABASE_URL, else a testcontainers
container where a Docker engine answers, else nivomigrate's embedded server.

Each test gets fresh, uniquely named databases, dropped afterwards even when it fails. Every URL
handed to a test carries the canary password, which must never appear in any output.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

from nivomigrate import shadow
from nivomigrate.config import shadow_cache_dir

# The Supabase-shaped server's fixtures (supabase_server, supabase_databases, ...) and the
# session-wide service roles (cluster objects, dropped at the end): tests/role_fixtures.py.
pytest_plugins = ("tests.supabase_fixtures", "tests.role_fixtures")

REPO = Path(__file__).resolve().parent.parent
# A password with every character that breaks naive URL handling.
CANARY_PASSWORD = "nivo%@/:canary"
# One role per test session, so that sessions sharing a server never drop each other's work.
CANARY_ROLE = f"nivo_canary_{os.getpid()}"
# The cache folder (NIVOMIGRATE_CACHE_DIR) of the runs in a project copy, one per test session:
# what nivomigrate keeps there (Prisma's answers: nivomigrate/prisma/render.py) is shared by the
# session's runs, never by the next session's. Their shadow server is the tests' (never an own
# server, which would start in this folder).
CACHE_DIR = Path(tempfile.mkdtemp(prefix="nivo-test-cache-"))
atexit.register(shutil.rmtree, CACHE_DIR, True)


def _docker_engine_answers() -> bool:
    try:
        import docker

        return bool(docker.from_env(timeout=3).ping())
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """The admin URL of a real PostgreSQL server, for the whole session."""
    configured = os.environ.get("NIVOMIGRATE_TEST_DATABASE_URL")
    if configured:
        yield configured
    elif _docker_engine_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:15", driver=None) as container:
            yield container.get_connection_url()
    else:
        yield shadow.local_server(shadow_cache_dir()).admin_url


@pytest.fixture(scope="session")
def canary_admin_url(pg_admin_url: str) -> Iterator[str]:
    """The admin URL rewritten to log in as a superuser whose password is the canary.

    At the end of the session, every database the role owns (test databases and the shadow
    templates the tests built) is dropped, and then the role.
    """
    import psycopg

    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_roles where rolname = %s",
                              (CANARY_ROLE,)).fetchone()
        verb = "alter" if exists else "create"
        conn.execute(f"{verb} role {CANARY_ROLE} login superuser password "
                     f"'{CANARY_PASSWORD.replace(chr(39), chr(39) * 2)}'")
    parts = urlsplit(pg_admin_url)
    password = quote(CANARY_PASSWORD, safe="")
    netloc = f"{CANARY_ROLE}:{password}@{parts.hostname}:{parts.port or 5432}"
    yield urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    shadow.release_templates()  # the sessions holding the templates log in as the role
    _drop_role_and_its_databases(pg_admin_url, CANARY_ROLE)


def _drop_role_and_its_databases(admin_url: str, role: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        owned = conn.execute("select datname from pg_database d join pg_roles r "
                             "on r.oid = d.datdba where r.rolname = %s", (role,)).fetchall()
    _drop_at_once(admin_url, [name for (name,) in owned])
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"drop role if exists {role}")


# Drops sent together: DROP DATABASE waits for a checkpoint (fsync on: seconds on a busy server),
# and drops waiting at once share one (12 drops: ~1 s together, ~40 s one by one here).
_DROPS_AT_ONCE = 8


def _drop_at_once(admin_url: str, names: list[str]) -> list[str]:
    """Drop the databases `names`, up to `_DROPS_AT_ONCE` at a time, each on its own
    connection; return the failures ("name: error")."""
    from concurrent.futures import ThreadPoolExecutor

    def drop(name: str) -> str | None:
        try:
            _Dropper.drop_one(admin_url, name)
        except Exception as exc:  # reported by the caller
            return f"{name}: {exc}"
        return None

    if not names:
        return []
    with ThreadPoolExecutor(max_workers=min(_DROPS_AT_ONCE, len(names))) as pool:
        return [failure for failure in pool.map(drop, names) if failure]


class _Dropper:
    """Drops databases on a background thread: DROP DATABASE waits for a checkpoint, and
    the next test need not wait for it. What is queued meanwhile is dropped together (one
    checkpoint for all). The session waits for every drop at its end."""

    def __init__(self) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.failures: list[str] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        finished = False
        while not finished:
            batch = [self.queue.get()]
            while len(batch) < _DROPS_AT_ONCE:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            finished = None in batch
            by_server: dict[str, list[str]] = {}
            for item in batch:
                if item is not None:
                    by_server.setdefault(item[0], []).append(item[1])
            try:
                for admin_url, names in by_server.items():
                    self.failures += _drop_at_once(admin_url, names)
            finally:
                for _ in batch:
                    self.queue.task_done()

    @staticmethod
    def drop_one(admin_url: str, name: str) -> None:
        """Drop, trying again after an import error: loading a project's models sets the
        installed nivomigrate aside for a moment (nivomigrate/models.py), and this thread's
        lazy imports may fall in that moment."""
        for attempt in range(5):
            try:
                return shadow.drop_database(admin_url, name)
            except ImportError:
                if attempt == 4:
                    raise
                time.sleep(0.5)

    def drop(self, admin_url: str, name: str) -> None:
        self.queue.put((admin_url, name))

    def finish(self) -> None:
        self.queue.put(None)
        self.thread.join()
        assert not self.failures, f"test databases left behind: {self.failures}"


@pytest.fixture(scope="session")
def dropper(canary_admin_url: str) -> Iterator[_Dropper]:
    """The session's dropper; it finishes before the canary role's databases are dropped."""
    worker = _Dropper()
    yield worker
    worker.finish()


@pytest.fixture
def make_database(canary_admin_url: str, dropper: _Dropper) -> Iterator[Callable[..., str]]:
    """Create fresh databases on demand (optionally from a template); drop them all after."""
    created: list[str] = []

    def make(prefix: str = "nivo_test", template: str | None = None) -> str:
        name = shadow.scratch_name(prefix)
        created.append(name)
        return shadow.create_database(canary_admin_url, name, template)

    yield make
    for name in created:
        dropper.drop(canary_admin_url, name)


@pytest.fixture
def staging_url(make_database) -> str:
    return make_database("nivo_staging")


@pytest.fixture
def production_url(make_database) -> str:
    return make_database("nivo_prod")
