from nivomigrate.checks import single_head


def test_one_head_gives_nothing():
    assert single_head.findings(None, None, "versions") == []


def test_forked_heads_are_a_usage_error():
    [finding] = single_head.findings("the revisions have 2 heads: 0003, 0004",
                                     "merge them", "versions")
    assert finding.is_blocking and finding.exit_code == 2 and finding.help == "merge them"
