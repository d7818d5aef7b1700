"""Every check is registered once, documented, and has its own test module."""

from pathlib import Path

from nivomigrate.checks import CHECKS

REPO = Path(__file__).resolve().parents[2]
DOCS = "".join((REPO / "docs" / name).read_text()
               for name in ("safety.md", "coverage.md", "workflow.md"))


def test_each_check_has_a_unique_name_a_reason_a_doc_and_a_test():
    names = [check.NAME for check in CHECKS]
    assert len(names) == len(set(names))
    for check in CHECKS:
        assert check.__doc__ and len(check.__doc__.strip()) > 40, check.NAME
        assert check.NAME in DOCS, f"{check.NAME} is not documented"
        module = check.__name__.rsplit(".", 1)[1]
        assert (REPO / "tests" / "checks" / f"test_{module}.py").is_file(), module
