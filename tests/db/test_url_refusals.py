"""URL-level refusals: a pooled or replica URL is refused by `check_url`, before connecting.

Each refusal is a `RefusedConnectionError` (exit code 2) with a one-line message naming where
the URL came from and a hint naming the direct URL to use instead; the password never appears.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest

from nivomigrate.config import load_settings
from nivomigrate.db import Target, check_url, target_for
from nivomigrate.errors import ConfigError, RefusedConnectionError
from tests.conftest import CANARY_PASSWORD, CANARY_ROLE

SOURCE = "STAGING_POSTGRES_URL_NON_POOLING from the environment"
ENCODED = quote(CANARY_PASSWORD, safe="")
DIRECT = f"postgresql://{CANARY_ROLE}:{ENCODED}@db.abcdefgh.supabase.co:5432/postgres"
POOLER_HOST = "aws-0-eu-central-1.pooler.supabase.com"


def _url(host: str = "db.abcdefgh.supabase.co", port: int = 5432, query: str = "") -> str:
    return f"postgresql://{CANARY_ROLE}:{ENCODED}@{host}:{port}/postgres" + (
        f"?{query}" if query else ""
    )


def _refusal(target: Target) -> RefusedConnectionError:
    with pytest.raises(RefusedConnectionError) as caught:
        check_url(target)
    error = caught.value
    assert isinstance(error, ConfigError) and error.exit_code == 2
    for text in (error.message, error.hint, str(error)):
        assert CANARY_PASSWORD not in text and ENCODED not in text
    assert "\n" not in error.message
    assert error.message.startswith(f"refused {target.source}: ")
    assert "POSTGRES_URL_NON_POOLING" in error.hint and "5432" in error.hint
    return error


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        pytest.param(_url(port=6543), "port 6543", id="port-6543"),
        pytest.param(_url(POOLER_HOST, 6543), "port 6543", id="supabase-pooler-6543"),
        pytest.param(_url(query="pgbouncer=true"), "pgbouncer=true", id="pgbouncer-true"),
        pytest.param(_url(query="pgbouncer=TRUE&connection_limit=1"), "pgbouncer=true",
                     id="pgbouncer-true-uppercase"),
        pytest.param(_url(query="target_session_attrs=read-only"),
                     "target_session_attrs=read-only", id="attrs-read-only"),
        pytest.param(_url(query="target_session_attrs=standby"),
                     "target_session_attrs=standby", id="attrs-standby"),
        pytest.param(_url(query="target_session_attrs=prefer-standby"),
                     "target_session_attrs=prefer-standby", id="attrs-prefer-standby"),
        pytest.param(_url(query="readonly=true"), "readonly=true", id="readonly-true"),
        pytest.param(_url(POOLER_HOST, 5432), "allow_session_pooler", id="session-pooler"),
    ],
)
def test_pooled_or_replica_url_is_refused(url: str, reason: str) -> None:
    error = _refusal(Target("staging", url, source=SOURCE))
    assert reason in error.message


@pytest.mark.parametrize("variable", ["POSTGRES_PRISMA_URL", "POSTGRES_READ_REPLICA_URL"])
def test_url_equal_to_an_apps_pooled_url_is_refused(variable: str, tmp_path: Path) -> None:
    settings = load_settings(
        project_root=tmp_path,
        environ={"STAGING_POSTGRES_URL_NON_POOLING": DIRECT, variable: DIRECT + "/"},
    )
    target = target_for(settings.environment("staging"))
    error = _refusal(target)
    assert target.source == SOURCE
    assert error.message.endswith(f"it is the same URL as {variable}")


def test_session_pooler_on_5432_is_allowed_when_configured() -> None:
    target = Target("staging", _url(POOLER_HOST, 5432), SOURCE, allow_session_pooler=True)
    assert (check_url(target).host, check_url(target).port) == (POOLER_HOST, 5432)


def test_session_pooler_allowance_does_not_cover_6543() -> None:
    _refusal(Target("staging", _url(POOLER_HOST, 6543), SOURCE, allow_session_pooler=True))


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(DIRECT, id="plain"),
        pytest.param(_url(query="sslmode=require"), id="sslmode"),
        pytest.param(_url(query="target_session_attrs=read-write"), id="attrs-read-write"),
        pytest.param(_url(query="pgbouncer=false"), id="pgbouncer-false"),
        pytest.param(f"postgres://{CANARY_ROLE}:{ENCODED}@127.0.0.1/app", id="default-port"),
    ],
)
def test_direct_url_is_accepted(url: str) -> None:
    parsed = check_url(Target("staging", url, SOURCE))
    assert parsed.port == 5432


def test_direct_url_is_accepted_beside_different_pooled_urls(tmp_path: Path) -> None:
    settings = load_settings(project_root=tmp_path, environ={
        "STAGING_POSTGRES_URL_NON_POOLING": DIRECT,
        "POSTGRES_PRISMA_URL": _url(POOLER_HOST, 6543, "pgbouncer=true"),
        "POSTGRES_READ_REPLICA_URL": _url("replica.example.com"),
    })
    assert check_url(target_for(settings.environment("staging"))).database == "postgres"
