"""Servers that are not a direct, writable primary: PgBouncers, a standby, a password server.

Session-scoped, started from `tests/servers.py` as the `postgres` user and stopped at the end.
A fixture skips with its reason when its binary is missing (CI installs pgbouncer and the
PostgreSQL server binaries). Every URL these fixtures hand out carries the canary password.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import servers
from tests.conftest import CANARY_PASSWORD, CANARY_ROLE


@pytest.fixture(scope="session")
def server_workspace() -> Iterator[Path]:
    with servers.workspace() as path:
        yield path


@pytest.fixture(scope="session")
def start_pgbouncer(
    canary_admin_url: str, server_workspace: Path
) -> Iterator[Callable[..., servers.RunningServer]]:
    """Start (once per configuration) a PgBouncer in front of the test server, as the canary.

    Call it with the keyword arguments of `servers.pgbouncer` (pool_mode, default_pool_size,
    ignore_startup_parameters, ...); `upstream_url` defaults to the test server.
    """
    servers.skip_unless(servers.pgbouncer_binary(),
                        "pgbouncer is not installed (apt-get install pgbouncer)")
    running: dict[tuple, servers.RunningServer] = {}
    stack = []

    def start(upstream_url: str = canary_admin_url, **options) -> servers.RunningServer:
        key = (upstream_url, *sorted(options.items()))
        if key not in running:
            folder = server_workspace / f"pgbouncer-{len(running)}"
            manager = servers.pgbouncer(upstream_url, folder, **options)
            running[key] = manager.__enter__()
            stack.append(manager)
        return running[key]

    yield start
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture(scope="session")
def private_primary(server_workspace: Path) -> Iterator[servers.RunningServer]:
    """A primary of our own whose TCP logins need scram: `postgres` with the canary password."""
    servers.skip_unless(servers.postgres_binaries(),
                        "PostgreSQL server binaries (initdb, pg_basebackup) are not installed")
    with servers.private_server(server_workspace / "primary", password=CANARY_PASSWORD) as server:
        yield server


@pytest.fixture(scope="session")
def standby(
    private_primary: servers.RunningServer, server_workspace: Path
) -> Iterator[servers.RunningServer]:
    """A streaming standby of `private_primary`, made with pg_basebackup -R."""
    with servers.standby_of(private_primary, server_workspace / "standby") as server:
        yield server


@pytest.fixture
def canary_url_for(canary_admin_url: str) -> Callable[[str, str], str]:
    """Return the test server's canary URL for another database and, optionally, role."""
    from nivomigrate.db import with_database

    def url_for(database: str, role: str = CANARY_ROLE) -> str:
        return with_database(canary_admin_url, database).replace(
            f"{CANARY_ROLE}:", f"{role}:", 1
        )

    return url_for
