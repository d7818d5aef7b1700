from nivomigrate.checks import dirty_tree
from nivomigrate.findings import Severity
from nivomigrate.ledger import GitState


def test_a_clean_tree_gives_nothing():
    assert dirty_tree.findings(GitState(commit="abc"), blocking=True) == []


def test_uncommitted_revisions_warn_in_plan_and_block_promote_with_exit_2():
    dirty = GitState(commit="abc", is_dirty=True, dirty_files=("versions/0003_x.py",))
    [warning] = dirty_tree.findings(dirty, blocking=False)
    assert warning.severity is Severity.WARNING
    [error] = dirty_tree.findings(dirty, blocking=True)
    assert error.is_blocking and error.exit_code == 2 and "0003_x.py" in error.message
