"""URLs checked before libpq parses them, then parsed by libpq in all its forms.

A password with `@ / # ? %` or a space must be percent-encoded; unencoded, the URL is refused
(exit 2) with the exact encodings and no piece of the password. Encoded, in the user-info part,
in `?password=` or in a key=value string, it logs in to a real server that checks passwords.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import psycopg
import pytest
from psycopg import sql

from nivomigrate import urls
from nivomigrate.db import Target, check_url, connect, libpq_url
from nivomigrate.errors import ConfigError, RefusedConnectionError

SOURCE = "STAGING_POSTGRES_URL_NON_POOLING from the environment"
# Every character that breaks a URL, between pieces long enough to be recognised if echoed.
WILD = "Sl4sh/Cnry#9x@Qm?Pct%Pls+Spc €Eur"
PIECES = ("Sl4sh", "Cnry", "Pct", "Pls", "Spc", "Eur")
WILD_ROLE = "nivo_wild"


def _no_piece_of_the_password(error: Exception) -> None:
    for text in (str(error), getattr(error, "hint", "") or ""):
        for piece in PIECES:
            assert piece not in text, text


@pytest.mark.parametrize(("character", "encoding"), [
    ("@", "%40"), ("/", "%2F"), ("#", "%23"), ("?", "%3F"), (" ", "%20"), ("%", "%25"),
], ids=["at", "slash", "hash", "question", "space", "percent"])
def test_unencoded_character_in_password_is_exit_2_with_its_encoding(character, encoding):
    password = f"Sl4sh{character}Cnry"
    if character == "%":
        password = "Sl4sh%zzCnry"
    url = f"postgresql://app:{password}@db.example.com:5432/app"
    with pytest.raises(ConfigError) as caught:
        check_url(Target("staging", url, SOURCE))
    error = caught.value
    assert error.exit_code == 2
    assert f"{character!r} as {encoding}" in error.message
    assert "urllib.parse.quote" in error.hint
    _no_piece_of_the_password(error)


def test_every_unencoded_character_is_named_at_once():
    url = f"postgresql://app:{WILD}@db.example.com:5432/app"
    with pytest.raises(ConfigError) as caught:
        check_url(Target("staging", url, SOURCE))
    for pair in ("'@' as %40", "'/' as %2F", "'#' as %23", "'?' as %3F", "' ' as %20",
                 "'%' as %25"):
        assert pair in caught.value.message
    _no_piece_of_the_password(caught.value)


def test_encoded_password_is_decoded_exactly():
    url = f"postgresql://app:{quote(WILD, safe='')}@db.example.com:5432/app"
    assert urls.parse(url, SOURCE).params["password"] == WILD


def test_password_query_parameter_keeps_its_space_and_plus():
    url = urls.with_query("postgresql://app@db.example.com/app", password=WILD)
    assert urls.parse(url, SOURCE).params["password"] == WILD
    assert "+" not in libpq_url(Target("staging", url, SOURCE)).split("?", 1)[1].replace(
        "%2B", "")


@pytest.mark.parametrize(("text", "where"), [
    ("host=db.example.com port=5433 dbname=app user=app sslmode=require",
     "db.example.com:5433/app"),
    ("host=/var/run/postgresql dbname=app", "socket /var/run/postgresql:5432/app"),
    ("postgresql://app@%2Fvar%2Frun%2Fpostgresql/app", "socket /var/run/postgresql:5432/app"),
    ("postgresql://app@first.example.com:5432,second.example.com:5433/app"
     "?target_session_attrs=read-write", "first.example.com,second.example.com:5432,5433/app"),
    ("postgresql://app@db.example.com/app?sslmode=verify-full&sslrootcert=/etc/ca.pem",
     "db.example.com:5432/app"),
], ids=["key-value", "socket-keyword", "socket-url", "several-hosts", "sslrootcert"])
def test_every_libpq_form_is_read(text, where):
    assert check_url(Target("staging", text, SOURCE)).where == where


def test_prisma_parameters_are_recognised():
    parsed = check_url(Target("staging", "postgresql://app@db.example.com/app"
                              "?connection_limit=1&pool_timeout=5&schema=app&sslmode=require",
                              SOURCE))
    assert parsed.params["sslmode"] == "require"
    assert "connection_limit" not in parsed.params and parsed.prisma["schema"] == "app"


def test_second_host_on_the_pooler_port_is_refused():
    with pytest.raises(RefusedConnectionError, match="6543"):
        check_url(Target("staging", "postgresql://app@a.example.com:5432,b.example.com:6543/app",
                         SOURCE))


def test_text_that_is_no_connection_string_is_exit_2():
    with pytest.raises(ConfigError, match="malformed"):
        check_url(Target("staging", "not a url", SOURCE))


# --- logging in with the wild password -----------------------------------------------------------

@pytest.fixture(scope="module")
def wild_role(private_primary) -> Iterator[str]:
    with psycopg.connect(private_primary.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("create role {} login password {}").format(
            sql.Identifier(WILD_ROLE), sql.Literal(WILD)))
    yield WILD_ROLE
    with psycopg.connect(private_primary.url(), autocommit=True) as conn:
        conn.execute(sql.SQL("drop role {}").format(sql.Identifier(WILD_ROLE)))


@pytest.mark.parametrize("form", ["userinfo", "query", "key-value"])
def test_wild_password_logs_in_in_every_form(private_primary, wild_role, form):
    host, port = private_primary.host, private_primary.port
    url = {
        "userinfo": f"postgresql://{wild_role}:{quote(WILD, safe='')}@{host}:{port}/postgres",
        "query": urls.with_query(f"postgresql://{wild_role}@{host}:{port}/postgres",
                                 password=WILD),
        "key-value": f"host={host} port={port} dbname=postgres user={wild_role} "
                     f"password='{WILD}'",
    }[form]
    with connect(Target("staging", url, SOURCE), writes=False) as conn:
        assert conn.execute("select current_user").fetchone() == (wild_role,)
