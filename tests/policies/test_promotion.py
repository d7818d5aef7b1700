"""policies/promotion.yaml: the duration window key, read and validated."""

from pathlib import Path

import pytest

from nivomigrate.errors import ConfigError
from nivomigrate.policies.promotion import load_promotion_policy

REPO = Path(__file__).resolve().parents[2]


def _policy(tmp_path, text):
    (tmp_path / "promotion.yaml").write_text(text)
    return load_promotion_policy(tmp_path)


def test_the_repo_declares_a_window_per_table_and_a_default():
    policy = load_promotion_policy(REPO / "policies")
    assert policy.duration_window("Log") == 120
    assert policy.duration_window("Device") == 600


def test_a_bare_number_is_every_tables_window_and_none_is_no_window(tmp_path):
    assert _policy(tmp_path, "duration_window_s: 90\n").duration_window("Log") == 90
    assert _policy(tmp_path, "squawk_default: warn\n").duration_window("Log") is None


@pytest.mark.parametrize("text", [
    "duration_window_s: 0\n",
    "duration_window_s: {default: -5}\n",
    "duration_window_s: {tables: {Log: soon}}\n",
    "duration_window_s: {tables: [Log]}\n",
    "duration_window_s: {default: 60, per_table: {Log: 5}}\n",
])
def test_a_window_that_is_not_positive_seconds_is_refused(tmp_path, text):
    with pytest.raises(ConfigError) as raised:
        _policy(tmp_path, text)
    assert "duration_window_s" in str(raised.value) + str(raised.value.hint or "")
