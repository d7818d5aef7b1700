"""Fresh databases set up in SQL, opened read-only as the checks open them."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate.db import Target, connect
from tests.steps.conftest import head_template, project  # noqa: F401


@pytest.fixture
def read_only_database(make_database):
    """Return a function: run setup SQL in a fresh database, then open a read-only session."""
    opened: list[psycopg.Connection] = []

    def make(setup: str, prefix: str = "nivo_check") -> psycopg.Connection:
        url = make_database(prefix)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(setup)
        opened.append(connect(Target("test", url), writes=False))
        return opened[-1]

    yield make
    for conn in opened:
        conn.close()
