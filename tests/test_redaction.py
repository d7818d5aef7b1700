"""`redact` hides the canary password wherever it may show: URLs, error text, `Target.display`,
and every known secret in every encoding (raw, percent-encoded in either case or in part, `+` for a
space, backslash- and JSON-escaped)."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest

from nivomigrate import redaction
from nivomigrate.db import Target
from nivomigrate.redaction import redact
from tests.conftest import CANARY_PASSWORD, CANARY_ROLE

ENCODED = quote(CANARY_PASSWORD, safe="")
ENCODED_URL = f"postgresql://{CANARY_ROLE}:{ENCODED}@db.example.com:5432/app"
RAW_URL = f"postgresql://{CANARY_ROLE}:{CANARY_PASSWORD}@db.example.com:5432/app"


def _assert_hidden(text: str) -> None:
    assert CANARY_PASSWORD not in text
    assert ENCODED not in text
    assert "***" in text


@pytest.fixture(autouse=True)
def _remembered() -> None:
    Target("staging", ENCODED_URL)  # a Target remembers its password for `redact`


@pytest.mark.parametrize("url", [ENCODED_URL, RAW_URL], ids=["percent-encoded", "raw"])
def test_password_in_url_is_hidden(url: str) -> None:
    shown = redact(url)
    _assert_hidden(shown)
    assert shown == f"postgresql://{CANARY_ROLE}:***@db.example.com:5432/app"


def test_url_inside_a_sentence_is_hidden_and_the_rest_kept() -> None:
    shown = redact(f"cannot reach {ENCODED_URL} (timeout) and {RAW_URL}?sslmode=require")
    _assert_hidden(shown)
    assert shown.startswith(f"cannot reach postgresql://{CANARY_ROLE}:***@db.example.com:5432/app")
    assert "(timeout)" in shown and "sslmode=require" in shown


def test_password_of_a_url_never_seen_is_hidden() -> None:
    assert redact("postgres://app:s3cr3t-Value@h/db") == "postgres://app:***@h/db"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f'FATAL:  password authentication failed ("{CANARY_PASSWORD}")', id="raw"),
        pytest.param(f"invalid percent-encoding in {ENCODED} near '@'", id="encoded"),
        pytest.param(f"host=db.example.com password={CANARY_PASSWORD} user=x", id="dsn"),
        pytest.param(f"host=db password='{CANARY_PASSWORD}' dbname=app", id="dsn-quoted"),
        pytest.param(f"Traceback ...\nValueError: {CANARY_PASSWORD}\n", id="multi-line"),
    ],
)
def test_password_in_exception_text_is_hidden(text: str) -> None:
    _assert_hidden(redact(text))


def test_exception_text_keeps_its_other_words() -> None:
    shown = redact(str(RuntimeError(f"login as {CANARY_ROLE} with {CANARY_PASSWORD} failed")))
    assert shown == f"login as {CANARY_ROLE} with *** failed"


@pytest.mark.parametrize("url", [ENCODED_URL, RAW_URL], ids=["percent-encoded", "raw"])
def test_target_display_and_repr_hide_the_password(url: str) -> None:
    target = Target("staging", url, source="STAGING_POSTGRES_URL_NON_POOLING from .env")
    _assert_hidden(target.display)
    assert "db.example.com:5432/app" in target.display
    assert CANARY_PASSWORD not in repr(target) and ENCODED not in repr(target)


WILD = "Sl4sh/Cnry#9x@Qm?Pct%Pls+Spc €Eur"


@pytest.mark.parametrize("shown", [
    pytest.param(WILD, id="raw"),
    pytest.param(quote(WILD, safe=""), id="percent-encoded"),
    pytest.param(re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), quote(WILD, safe="")),
                 id="percent-encoded-lowercase"),
    pytest.param(quote(WILD, safe="/:@"), id="half-encoded"),
    pytest.param(WILD.replace(" ", "+"), id="plus-for-space"),
    pytest.param(quote(WILD, safe="").replace("%20", "+"), id="form-encoded"),
    pytest.param(json.dumps(WILD)[1:-1], id="json-escaped"),
    pytest.param(repr(WILD)[1:-1], id="repr"),
])
def test_known_secret_is_hidden_in_every_encoding(shown: str) -> None:
    redaction.remember(WILD)
    text = redact(f"check printed: {shown} (exit 3)")
    assert text == "check printed: *** (exit 3)"


def test_env_file_secrets_are_remembered_but_not_flags() -> None:
    redaction.remember_environment({"STAGING_DB_PASSWORD": "Env-File-Secret-1",
                                    "NIVOMIGRATE_READONLY_SECRETS": "false",
                                    "SOME_URL": "postgresql://app:Url-Secret-2@h/db"},
                                   secret_names=True)
    shown = redact("Env-File-Secret-1 Url-Secret-2 false")
    assert shown == "*** *** false"


def test_process_environment_gives_only_url_passwords() -> None:
    redaction.remember_environment({"GITHUB_TOKEN": "Gh-Token-Value-3",
                                    "OTHER_URL": "postgres://u:From-Env-4@h/db"})
    assert redact("Gh-Token-Value-3 From-Env-4") == "Gh-Token-Value-3 ***"


def test_password_equal_to_the_user_name_masks_no_word() -> None:
    redaction.remember_url("postgresql://postgres:postgres@localhost:5433/staging")
    shown = redact("postgresql://postgres:postgres@localhost:5433/staging (postgres 15)")
    assert shown == "postgresql://postgres:***@localhost:5433/staging (postgres 15)"


def test_password_query_parameter_is_remembered_decoded() -> None:
    redaction.remember_url("postgresql://u@h/db?sslmode=require&password=Qry%20Secret%2B5")
    assert redact("login with Qry Secret+5 failed") == "login with *** failed"


# --- transformed secrets: any letter case, any piece of 6 characters or more -------------------

TRANSFORMED = "Tr4nsformed Secret Phrase9"


@pytest.mark.parametrize("shown", [
    pytest.param(TRANSFORMED.upper(), id="upper"),
    pytest.param(TRANSFORMED.lower(), id="lower"),
    pytest.param(TRANSFORMED[:-1], id="less-its-last-character"),
    pytest.param(TRANSFORMED[1:], id="less-its-first-character"),
    pytest.param(TRANSFORMED.replace(" ", "_"), id="spaces-as-underscores"),
    pytest.param(TRANSFORMED.replace(" ", ""), id="spaces-removed-each-piece"),
    pytest.param(TRANSFORMED[7:13], id="six-characters-from-the-middle"),
    pytest.param(TRANSFORMED.swapcase()[3:-3], id="swapped-case-piece"),
])
def test_transformed_secret_is_hidden(shown: str) -> None:
    redaction.remember_url(f"postgresql://app:{quote(TRANSFORMED, safe='')}@h/db")
    text = redact(f"check printed: {shown} (exit 3)")
    assert text.startswith("check printed: ***") and text.endswith(" (exit 3)"), text
    assert not any(TRANSFORMED.lower()[i:i + 6] in text.lower().replace("_", " ")
                   for i in range(len(TRANSFORMED) - 5)), text


def test_a_piece_shorter_than_six_characters_is_kept() -> None:
    redaction.remember_url("postgresql://app:Qz81-Unrelated-Words@h/db")
    assert redact("Words, and Qz81") == "Words, and Qz81"
    assert redact("Unrelated") == "***"


def test_pieces_of_the_user_name_are_not_hidden() -> None:
    redaction.remember_url("postgresql://reporting_user:reporting_user_pw9@h/db")
    assert redact("connected as reporting_user") == "connected as reporting_user"
    assert redact("reporting_user_pw9") == "***"


def test_redaction_time_grows_linearly_with_the_report() -> None:
    """Ten times the report takes about ten times as long (not a hundred: no quadratic scan of
    the pieces of the secret), measured back to back so that the machine's load cancels out."""
    import time

    redaction.remember_url(f"postgresql://app:{quote(TRANSFORMED, safe='')}@h/db")

    def fastest(lines: int) -> float:
        report = ("| public.Device | ok | 12 ms |\n" * lines) + TRANSFORMED.upper()
        times = []
        for _ in range(3):
            started = time.perf_counter()
            shown = redact(report)
            times.append(time.perf_counter() - started)
        assert shown.endswith("***") and len(shown) == len(report) - len(TRANSFORMED) + 3
        return min(times)

    assert fastest(40_000) / fastest(4_000) < 30  # 1.2 MB against 120 kB


def test_a_password_holding_a_word_of_the_messages_leaves_the_messages_readable() -> None:
    redaction.remember_url("postgresql://app:wrong%40Password1@h/db")
    shown = redact("FATAL: password authentication failed; tried wrong@Password1, Password1")
    # Of "Password1" alone, the pieces inside "password" are left: 3 characters show.
    assert shown == "FATAL: password authentication failed; tried ***, Pas***"
