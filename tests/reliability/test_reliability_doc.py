"""docs/reliability.md names, in every table row, a test that exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "reliability.md"
# `tests/reliability/test_x.py::test_name` (a parametrized id after it is allowed).
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]]*\])?`")


SEPARATOR = re.compile(r"\|(\s*:?-+:?\s*\|)+")


def table_rows(text: str) -> list[str]:
    """Return the body rows of the Markdown tables (headers and separators left out)."""
    lines = [line.strip() for line in text.splitlines()]
    rows = []
    for number, line in enumerate(lines):
        if not line.startswith("|") or SEPARATOR.fullmatch(line):
            continue
        is_header = number + 1 < len(lines) and SEPARATOR.fullmatch(lines[number + 1])
        if not is_header:
            rows.append(line)
    return rows


def _test_names(path: Path) -> set[str]:
    """Return the names of the module-level test functions of a test file (by `ast`)."""
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test")}


def missing_tests(text: str) -> list[str]:
    """Return the rows of the doc's tables that name no test, or a test that does not exist."""
    missing = []
    for row in table_rows(text):
        references = TEST_REFERENCE.findall(row)
        if not references:
            missing.append(f"no test named in: {row[:80]}")
        for file, name in references:
            path = REPO / file
            if not path.is_file() or name not in _test_names(path):
                missing.append(f"{file}::{name}")
    return missing


def test_every_row_names_an_existing_test():
    assert len(table_rows(DOC.read_text())) >= 20
    assert missing_tests(DOC.read_text()) == []


def test_every_reliability_test_is_in_the_table():
    named = set(TEST_REFERENCE.findall(DOC.read_text()))
    for path in sorted((REPO / "tests" / "reliability").glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        for name in _test_names(path):
            assert (f"tests/reliability/{path.name}", name) in named, f"{path.name}::{name}"


def test_a_row_naming_a_missing_test_is_caught():
    """The check itself: a row naming a test that does not exist is reported."""
    doc = ("| a | b |\n|---|---|\n"
           "| x | `tests/reliability/test_faults.py::test_no_such_thing` |\n"
           "| y | `tests/reliability/test_reliability_doc.py::"
           "test_a_row_naming_a_missing_test_is_caught` |\n")
    assert missing_tests(doc) == ["tests/reliability/test_faults.py::test_no_such_thing"]
