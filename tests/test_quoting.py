"""quoting: names and strings printed into SQL read back as themselves on a real server."""

from __future__ import annotations

import psycopg
import pytest

from nivomigrate.quoting import identifier, literal, role, unquoted

HOSTILE = ["plain", "O'Brien", 'evil"role', "x'); DROP TABLE foo; --", "back\\slash",
           "Mixed Case", "select", "dot.ted", "€uro", "'", '"', ""]


@pytest.fixture(scope="module")
def conn(canary_admin_url):
    with psycopg.connect(canary_admin_url, autocommit=True) as connection:
        yield connection


@pytest.mark.parametrize("text", HOSTILE)
def test_literal_reads_back_as_the_same_string(conn, text: str) -> None:
    for conforming in ("on", "off"):
        conn.execute(f"set standard_conforming_strings = {conforming}")
        assert conn.execute(f"select {literal(text)}").fetchone()[0] == text


@pytest.mark.parametrize("name", [name for name in HOSTILE if name])
def test_identifier_names_one_object_with_that_name(conn, name: str) -> None:
    with conn.transaction(force_rollback=True):
        conn.execute(f"create schema {identifier(name)}")
        conn.execute(f"create table {identifier(name, name)} ({identifier(name)} int)")
        (found,) = conn.execute(
            "select count(*) from pg_attribute a join pg_class c on c.oid = a.attrelid "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relname = %s and a.attname = %s",
            (name, name, name)).fetchone()
        assert found == 1
        assert conn.execute("select quote_ident(%s)", (name,)).fetchone()[0] in (
            name, identifier(name))


def test_role_keeps_public_the_keyword_and_quotes_any_other() -> None:
    assert role("PUBLIC") == "PUBLIC"
    assert role('evil"role') == '"evil""role"'


def test_unquoted_reverses_identifier_and_folds_bare_names() -> None:
    assert [unquoted(identifier(name)) for name in HOSTILE] == HOSTILE
    assert unquoted("Users") == "users"
