"""The field's own harness runs the project's revisions unchanged: pytest-alembic's built-in
tests (one head, upgrade, models match the DDL, up/down consistency) through its documented
`create_alembic_fixture`.

pytest-alembic's automatic collection (its plugin binds the tests to tests/conftest.py) breaks
on pytest 9 (`TestCollector` sets `_nodeid` before pytest does), so the plugin is off
(`-p no:pytest_alembic` in pyproject.toml) and the built-in tests are called here instead.
"""

from pathlib import Path

import pytest
import sqlalchemy
from pytest_alembic import tests as builtin
from pytest_alembic.plugin.fixtures import create_alembic_fixture

from nivomigrate.migrations import alembic_config

VERSIONS = Path(__file__).resolve().parents[1] / "versions"

alembic = create_alembic_fixture(alembic_config(VERSIONS))


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
