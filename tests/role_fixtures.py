"""Service roles with names unique to the test session, and a project whose services.yaml uses
them. Roles belong to the whole cluster: at the end of the session every privilege they hold in
any database of the test server is dropped (DROP OWNED BY), then the roles."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from nivomigrate.db import with_database

SERVICES = ("ingest", "control", "studio", "studio_read")


@pytest.fixture(scope="session")
def service_role_names(canary_admin_url: str) -> Iterator[dict[str, str]]:
    """Service -> role name, e.g. ingest -> nivo_ingest_t1234 (created by the tests' revisions)."""
    names = {service: f"nivo_{service}_t{os.getpid()}" for service in SERVICES}
    yield names
    drop_roles(canary_admin_url, list(names.values()))


def drop_roles(admin_url: str, roles: list[str], attempt: int = 1) -> None:
    """Drop what `roles` hold in every database of the server, then the roles."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        present = [r for (r,) in conn.execute("select rolname from pg_roles where rolname = "
                                              "any(%s)", (roles,)).fetchall()]
        databases = [d for (d,) in conn.execute("select datname from pg_database "
                                                "where datallowconn").fetchall()]
    if not present:
        return
    quoted = ", ".join(psycopg.sql.Identifier(r).as_string(None) for r in present)
    for database in databases:
        try:
            with psycopg.connect(with_database(admin_url, database), autocommit=True) as conn:
                # a database another test made read-only by default (a replica's stand-in)
                conn.execute("SET default_transaction_read_only = off")
                conn.execute(f"DROP OWNED BY {quoted}")
        except psycopg.OperationalError:  # dropped meanwhile
            continue
    with psycopg.connect(admin_url, autocommit=True) as conn:
        try:
            conn.execute(f"DROP ROLE IF EXISTS {quoted}")
        except psycopg.errors.DependentObjectsStillExist:
            if attempt >= 5:
                raise
            time.sleep(1)  # a database the dropper thread was dropping: once more
            drop_roles(admin_url, roles, attempt + 1)


def use_role_names(project, names: dict[str, str]) -> None:
    """Rewrite the project's services.yaml `roles:` to the session's names."""
    path = project.root / "policies" / "services.yaml"
    text = path.read_text()
    for service, name in names.items():
        text = text.replace(f"  {service}: nivo_{service}\n", f"  {service}: {name}\n", 1)
    path.write_text(text)


@pytest.fixture
def roles_project(project, service_role_names):
    """The test project (tests/steps/conftest.py) with the session's role names."""
    use_role_names(project, service_role_names)
    return project


# Sessions using `anon`/`authenticated` hold this advisory lock shared (on the server's
# `postgres` database): parallel workers and other test runs share the roles.
API_ROLES_LOCK = (0x6E69766F, 0x61706921)  # "nivo", "api!"
API_ROLES_MARK = "made by nivomigrate's tests; the last test session using it drops it"


@pytest.fixture(scope="session")
def api_roles(canary_admin_url: str) -> Iterator[tuple[str, str]]:
    """Supabase's Data API roles `anon` and `authenticated` on the test server (NOLOGIN).

    Created (and marked) unless present. Every session using them holds a shared advisory
    lock; at its end, the session that can take the lock alone (no other one uses them) drops
    the marked ones: never roles the server had before, never under another worker.
    """
    holder = psycopg.connect(canary_admin_url, autocommit=True)
    holder.execute("select pg_advisory_lock_shared(%s, %s)", API_ROLES_LOCK)
    with psycopg.connect(canary_admin_url, autocommit=True) as conn:
        for role in ("anon", "authenticated"):
            if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                try:
                    conn.execute(f"CREATE ROLE {role} NOLOGIN")
                    conn.execute(sql.SQL("COMMENT ON ROLE {} IS {}").format(
                        sql.Identifier(role), sql.Literal(API_ROLES_MARK)))
                except psycopg.errors.DuplicateObject:
                    pass
    yield ("anon", "authenticated")
    holder.execute("select pg_advisory_unlock_shared(%s, %s)", API_ROLES_LOCK)
    try:
        if holder.execute("select pg_try_advisory_lock(%s, %s)", API_ROLES_LOCK).fetchone()[0]:
            marked = [role for (role,) in holder.execute(
                "select rolname from pg_roles where rolname in ('anon', 'authenticated') "
                "and shobj_description(oid, 'pg_authid') = %s", (API_ROLES_MARK,))]
            if marked:
                drop_roles(canary_admin_url, marked)
    finally:
        holder.close()
