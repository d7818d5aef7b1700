"""The field's own harness runs the repository's revisions unchanged: pytest-alembic's
built-in tests (one head, upgrade, models match the DDL, up/down consistency) through its
documented `create_alembic_fixture`, against the models `models =` names.

Here the built-in tests are called one by one, so a plain `pytest` runs them (the plugin's
collection is off in pyproject.toml); a user's project runs them with `pytest --test-alembic`
and nivomigrate.testing's fixtures (tests/test_testing.py).
"""

from pathlib import Path

import pytest
import sqlalchemy
from pytest_alembic import tests as builtin
from pytest_alembic.plugin.fixtures import create_alembic_fixture

from nivomigrate.config import load_settings
from nivomigrate.migrations import alembic_config
from nivomigrate.models import load_metadata

SETTINGS = load_settings(project_root=Path(__file__).resolve().parents[1], environ={})

alembic = create_alembic_fixture(alembic_config(
    SETTINGS.versions_dir, target_metadata=load_metadata(SETTINGS)))


@pytest.fixture
def alembic_engine(make_database):
    url = make_database("nivo_alembic").replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sqlalchemy.create_engine(url)
    yield engine
    engine.dispose()


def test_single_head_revision(alembic):
    builtin.test_single_head_revision(alembic)


def test_upgrade(alembic):
    builtin.test_upgrade(alembic)


def test_model_definitions_match_ddl(alembic):
    builtin.test_model_definitions_match_ddl(alembic)


def test_up_down_consistency(alembic):
    builtin.test_up_down_consistency(alembic)
