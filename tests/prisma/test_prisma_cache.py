"""Prisma's answers kept in the cache folder: the same question is answered from it, without
running the CLI again; a different datamodel is a new question; a refusal is never kept."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from nivomigrate.errors import ConfigError
from nivomigrate.prisma.render import render_ddl, validate
from tests.prisma.conftest import cli_for

SCHEMA = '''datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model Owner {
  id    String @id
  email String @unique
}
'''


def test_an_answer_is_kept_and_reused_and_a_refusal_is_not(pg_admin_url, tmp_path: Path):
    cli = dataclasses.replace(cli_for(pg_admin_url), cache_dir=tmp_path / "cache")
    schema = tmp_path / "schema.prisma"
    schema.write_text(SCHEMA)

    ddl = render_ddl(cli, schema)
    assert 'CREATE TABLE "Owner"' in ddl
    [kept] = (tmp_path / "cache").glob("*.json")
    assert json.loads(kept.read_text())["answer"] == ddl

    # The kept answer is what comes back (edited here to tell it from the CLI's own).
    kept.write_text(json.dumps({"answer": ddl + "-- kept\n"}))
    assert render_ddl(cli, schema) == ddl + "-- kept\n"

    # Another datamodel is another question; Prisma's refusal of it is not kept.
    schema.write_text(SCHEMA.replace("String @unique", "Strin @unique"))
    with pytest.raises(ConfigError) as refused:
        validate(cli, schema)
    assert "Strin" in refused.value.message
    assert list((tmp_path / "cache").glob("*.json")) == [kept]
