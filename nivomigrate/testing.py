"""pytest-alembic's fixtures for a nivomigrate project: its revisions, its models, a scratch
database.

pytest-alembic's built-in tests (one head, upgrade, models match the DDL, up/down consistency)
need an alembic config and an engine on an empty database. In the project's
`tests/conftest.py`:

    from nivomigrate.testing import alembic_config, alembic_engine  # noqa: F401

then `pytest --test-alembic`. The config is the project's (`versions`, and the `models =` of
the nivomigrate.toml found from the working directory); the database is a new one on the shadow
server (`NIVOMIGRATE_SHADOW_URL`, else nivomigrate's own server), dropped afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def alembic_config():
    """Return the alembic Config of the project's revisions, with its models as target."""
    from nivomigrate.config import load_settings
    from nivomigrate.migrations import alembic_config as project_config
    from nivomigrate.models import load_metadata

    settings = load_settings()
    return project_config(settings.versions_dir, target_metadata=load_metadata(settings))


@pytest.fixture
def alembic_engine() -> Iterator[object]:
    """Yield a SQLAlchemy engine on a new empty database of the shadow server."""
    import sqlalchemy

    from nivomigrate import shadow
    from nivomigrate.config import load_settings

    settings = load_settings()
    admin_url = settings.shadow_url or shadow.local_server(settings.shadow_cache_dir).admin_url
    with shadow.scratch_database(admin_url, prefix="nivo_alembic") as url:
        engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            yield engine
        finally:
            engine.dispose()
