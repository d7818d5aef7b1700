"""`redact` hides the canary password wherever it may show: URLs, error text, `Target.display`."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from nivomigrate.db import Target, redact
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
