"""The ledger key: a signature verifies only with the key, for the very run and database it was
made for; the key is a secret (hidden in every output, kept from staging checks' commands)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from nivomigrate.config import load_settings
from nivomigrate.errors import ConfigError
from nivomigrate.ledger import Run
from nivomigrate.redaction import redact
from nivomigrate.signing import is_signed, sign

KEY = "a-ledger-key-of-32-characters-ok"
DATABASE = (7716315385941702796, 16384, "staging")
RUN = Run(id=7, kind="apply", environment="staging", from_revision="0002", to_revision="0003",
          revisions=[{"id": "0003", "sql_checksum": "ab", "steps": ["cd"]}],
          fingerprint_before="f1", fingerprint_after="f2", git_commit=None, git_branch=None,
          git_dirty=False, actor="ci", started_at=datetime.now(UTC), finished_at=None,
          status="passed", reason=None)


def test_a_signed_run_verifies_with_its_key_only():
    signed = replace(RUN, signature=sign(KEY, RUN, DATABASE))
    assert is_signed(KEY, signed, DATABASE)
    assert not is_signed(KEY[::-1], signed, DATABASE)
    assert not is_signed(KEY, RUN, DATABASE)  # no signature


@pytest.mark.parametrize("change", [
    {"status": "failed"}, {"to_revision": "0004"}, {"fingerprint_after": "f3"},
    {"revisions": [{"id": "0003", "sql_checksum": "ab", "steps": ["ce"]}]}, {"id": 8},
])
def test_any_edited_claim_breaks_the_signature(change):
    signed = replace(RUN, signature=sign(KEY, RUN, DATABASE))
    assert not is_signed(KEY, replace(signed, **change), DATABASE)


def test_a_row_copied_into_another_database_does_not_verify():
    signed = replace(RUN, signature=sign(KEY, RUN, DATABASE))
    assert not is_signed(KEY, signed, (DATABASE[0], 16385, "staging"))
    assert not is_signed(KEY, signed, (1, DATABASE[1], DATABASE[2]))


def test_the_key_is_a_secret_and_staging_checks_do_not_inherit_it(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    settings = load_settings(project_root=tmp_path, environ={"NIVOMIGRATE_LEDGER_KEY": KEY})
    assert settings.ledger_key == KEY
    assert "NIVOMIGRATE_LEDGER_KEY" not in settings.command_environ
    assert KEY not in redact(f"a check printed {KEY}") and KEY not in repr(settings)


def test_a_key_too_short_to_sign_with_is_a_configuration_error(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    with pytest.raises(ConfigError, match="too short"):
        load_settings(project_root=tmp_path, environ={"NIVOMIGRATE_LEDGER_KEY": "short"})
