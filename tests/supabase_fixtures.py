"""Fixtures of the Supabase-shaped server (tests/supabase_server.py), for every test folder.

- `supabase_server`: the cluster, built once per session (about 3 s).
- `supabase_app_template`: a template database: the platform plus NivoStack's Prisma tables
  and extras, loaded as the non-superuser `postgres`.
- `supabase_databases`: one staging and one prod database made from it, shared by the
  session: read them, do not change them.
- `make_supabase_database`: fresh databases from that template (or the bare platform with
  `app=False`), dropped after the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests import servers
from tests.supabase_server import (
    SupabaseServer,
    create_platform_database,
    drop_database,
    load_app,
    start_supabase_server,
)

APP_TEMPLATE = "nivo_supabase_app"


@dataclass(frozen=True)
class SupabaseDatabases:
    """A staging and a prod database on the Supabase-shaped server (URLs log in as postgres)."""

    server: SupabaseServer
    staging_name: str
    prod_name: str

    @property
    def staging_url(self) -> str:
        return self.server.url(self.staging_name)

    @property
    def prod_url(self) -> str:
        return self.server.url(self.prod_name)


@pytest.fixture(scope="session")
def supabase_server() -> Iterator[SupabaseServer]:
    servers.skip_unless(servers.postgres_binaries(), "no PostgreSQL server binaries here")
    with start_supabase_server() as server:
        yield server


@pytest.fixture(scope="session")
def supabase_app_template(supabase_server: SupabaseServer) -> str:
    create_platform_database(supabase_server, APP_TEMPLATE)
    load_app(supabase_server, APP_TEMPLATE)
    return APP_TEMPLATE


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def supabase_databases(supabase_server: SupabaseServer,
                       supabase_app_template: str) -> SupabaseDatabases:
    names = [_unique(f"nivo_supabase_{env}") for env in ("staging", "prod")]
    for name in names:
        create_platform_database(supabase_server, name, supabase_app_template)
    return SupabaseDatabases(supabase_server, *names)


@pytest.fixture
def make_supabase_database(supabase_server: SupabaseServer,
                           supabase_app_template: str) -> Iterator[Callable[..., str]]:
    """Create fresh databases: `make(prefix, app=True)` returns a URL logging in as postgres."""
    created: list[str] = []

    def make(prefix: str = "nivo_supabase", app: bool = True) -> str:
        name = _unique(prefix)
        created.append(name)
        return create_platform_database(supabase_server, name,
                                        supabase_app_template if app else "postgres")

    yield make
    for name in created:
        drop_database(supabase_server, name)
