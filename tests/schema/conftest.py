"""Databases for the schema tests: Prisma's DDL, the baseline revision, the models.

The server comes from NIVOMIGRATE_TEST_DATABASE_URL (default: the local server, user
postgres). Every database is named `nivo_t_<8 hex>` and dropped WITH (FORCE) afterwards,
also when a test fails. The three reference databases are built once per test module.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

REPO = Path(__file__).resolve().parents[2]
VERSIONS = REPO / "versions"
PRISMA_FIXTURES = REPO / "tests" / "fixtures" / "prisma"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# The alembic version table lives outside "public", so that diffs of "public" compare
# only the NivoStack schema.
VERSION_TABLE_SCHEMA = "nivo_test_alembic"

MakeDatabase = Callable[[], str]


def _database_url(admin_url: str, name: str) -> str:
    url = sa.make_url(admin_url).set(drivername="postgresql+psycopg", database=name)
    return url.render_as_string(hide_password=False)


class _Databases:
    """Create scratch databases on one server and drop all of them on `drop_all()`."""

    def __init__(self, admin_url: str) -> None:
        self._admin = sa.create_engine(
            _database_url(admin_url, sa.make_url(admin_url).database),
            isolation_level="AUTOCOMMIT",
            poolclass=sa.NullPool,
        )
        self._admin_url = admin_url
        self._names: list[str] = []

    def create(self) -> str:
        name = f"nivo_t_{uuid.uuid4().hex[:8]}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._names.append(name)
        return _database_url(self._admin_url, name)

    def drop_all(self) -> None:
        """Drop every database made here, each on its own; report the ones that stay."""
        failures = []
        with self._admin.connect() as conn:
            for name in self._names:
                try:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                except sa.exc.DBAPIError as exc:
                    failures.append(f"{name}: {exc.orig}")
        self._admin.dispose()
        assert not failures, f"test databases left behind: {failures}"


@pytest.fixture(scope="session")
def schema_admin_url() -> str:
    return os.environ.get("NIVOMIGRATE_TEST_DATABASE_URL", DEFAULT_ADMIN_URL)


@pytest.fixture(scope="module")
def module_database(schema_admin_url: str) -> Iterator[MakeDatabase]:
    """Create empty databases shared by the tests of one module; return their URLs."""
    databases = _Databases(schema_admin_url)
    try:
        yield databases.create
    finally:
        databases.drop_all()


@pytest.fixture
def new_database(schema_admin_url: str) -> Iterator[MakeDatabase]:
    """Create empty databases for one test; return their URLs."""
    databases = _Databases(schema_admin_url)
    try:
        yield databases.create
    finally:
        databases.drop_all()


def run_sql_file(url: str, path: Path) -> None:
    """Run a file of SQL (several statements) in one transaction."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        # psycopg itself, so that a "%" in the SQL is not taken for a placeholder.
        conn.connection.driver_connection.execute(path.read_text())


def upgrade(url: str, destination: str = "head") -> None:
    """Upgrade the database at `url` to the revision `destination`."""
    _run_revisions(url, destination, ScriptDirectory._upgrade_revs)


def downgrade(url: str, destination: str = "base") -> None:
    """Downgrade the database at `url` to the revision `destination`."""
    _run_revisions(url, destination, ScriptDirectory._downgrade_revs)


def _run_revisions(url: str, destination: str, plan: Callable) -> None:
    # Alembic through its API, without an env.py: these tests must not depend on
    # nivomigrate's own alembic wrapper.
    config = Config()
    config.set_main_option("script_location", str(VERSIONS))
    script = ScriptDirectory(str(VERSIONS), version_locations=[str(VERSIONS)])
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    # connect(), not begin(): alembic owns the transactions, so that a revision's
    # autocommit block (CREATE INDEX CONCURRENTLY) can run outside of one.
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{VERSION_TABLE_SCHEMA}"')
        conn.commit()
        fn = lambda revision, context: plan(script, destination, revision)  # noqa: E731
        with EnvironmentContext(config, script, fn=fn, destination_rev=destination) as env:
            env.configure(connection=conn, version_table_schema=VERSION_TABLE_SCHEMA,
                          transaction_per_migration=True)
            with env.begin_transaction():
                env.run_migrations()
        conn.commit()


def _import_schemainspect():
    """Import schemainspect.pg without pkg_resources (setuptools 81 removed it).

    migra is these tests' independent peer (a dev dependency), not nivomigrate's.

    schemainspect's `misc` module imports `pkg_resources.resource_stream` and finds each SQL
    file through `inspect.stack()` (0.3 s of imports and stack walks). This shim loads `misc`
    first with a stub `pkg_resources` in `sys.modules` (only while `misc` executes) and
    replaces its `resource_text` with a plain file read, which its one caller
    (`schemainspect.pg.obj`, reading `sql/*.sql` beside itself) then imports.
    """
    import importlib.util
    import sys
    import types
    from pathlib import Path

    if "schemainspect.pg" not in sys.modules:
        spec = importlib.util.find_spec("schemainspect")
        folder = spec.submodule_search_locations[0]
        misc_spec = importlib.util.spec_from_file_location(
            "schemainspect.misc", f"{folder}/misc.py")
        misc = importlib.util.module_from_spec(misc_spec)
        stub = types.ModuleType("pkg_resources")
        stub.resource_stream = None
        saved = sys.modules.get("pkg_resources")
        sys.modules["pkg_resources"] = stub
        try:
            misc_spec.loader.exec_module(misc)
        finally:
            if saved is None:
                del sys.modules["pkg_resources"]
            else:
                sys.modules["pkg_resources"] = saved
        misc.resource_text = lambda subpath: Path(folder, "pg", subpath).read_text("utf-8")
        sys.modules["schemainspect.misc"] = misc
    import schemainspect.pg

    schemainspect.misc = sys.modules["schemainspect.misc"]  # as its own import would have set
    return schemainspect.pg


def diff_public(url_from: str, url_to: str) -> str:
    """Return migra's SQL turning schema "public" of `url_from` into that of `url_to`.

    An empty string means the two schemas are the same (column order aside).
    """
    _import_schemainspect()  # schemainspect without pkg_resources
    from migra import Migration
    from sqlbag import S

    with S(url_from) as db_from, S(url_to) as db_to:
        migration = Migration(db_from, db_to, schema="public")
        migration.set_safety(False)
        migration.add_all_changes()
        return migration.sql


@pytest.fixture(scope="module")
def prisma_db(module_database: MakeDatabase) -> str:
    """A database built from the DDL Prisma emits for the NivoStack schema."""
    url = module_database()
    run_sql_file(url, PRISMA_FIXTURES / "nivostack_prisma.sql")
    return url


BASELINE = "0001"


@pytest.fixture(scope="module")
def revision_db(module_database: MakeDatabase) -> str:
    """A database upgraded to the baseline revision, the one Prisma's DDL must equal."""
    url = module_database()
    upgrade(url, BASELINE)
    return url


@pytest.fixture(scope="module")
def head_db(module_database: MakeDatabase) -> str:
    """A database upgraded to the head revision, the one the models must equal."""
    url = module_database()
    upgrade(url, "head")
    return url


@pytest.fixture(scope="module")
def models_db(module_database: MakeDatabase) -> str:
    """A database where `nivostack_models.metadata.create_all()` ran."""
    from nivostack_models import metadata

    url = module_database()
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    metadata.create_all(engine)
    return url


@pytest.fixture(scope="session")
def diff_schemas() -> Callable[[str, str], str]:
    """`diff_public` for tests: migra's SQL between schema "public" of two databases."""
    return diff_public


@pytest.fixture(scope="session")
def upgrade_to() -> Callable[[str, str], None]:
    """`upgrade` for tests: upgrade a database URL to a revision ("head" by default)."""
    return upgrade


@pytest.fixture(scope="session")
def downgrade_to() -> Callable[[str, str], None]:
    """`downgrade` for tests: downgrade a database URL to a revision ("base" by default)."""
    return downgrade
