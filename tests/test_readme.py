"""The README's two commands stay true: CI runs the README's test command word for word."""

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _commands(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines()
            if line.strip().startswith("python3 -m venv")]


def test_ci_runs_the_readme_test_command():
    readme = _commands(REPO / "README.md")
    ci = _commands(REPO / ".ci" / "run")
    assert ci and ci[0] in readme


def test_readme_main_command_runs_the_demo():
    assert any(command.endswith("nivomigrate demo") for command in _commands(REPO / "README.md"))
