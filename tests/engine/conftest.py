"""The engine's tests use the same project copy and databases as the commands' tests."""

from tests.steps.conftest import head_template, project  # noqa: F401
