"""Settings come from nivomigrate.toml (or pyproject.toml), dotenv files and the environment."""

from pathlib import Path

import pytest

from nivomigrate.config import load_settings
from nivomigrate.errors import ConfigError


def test_defaults_name_the_direct_url_variables(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    settings = load_settings(cwd=tmp_path, environ={"STAGING_POSTGRES_URL_NON_POOLING": "x://a"})
    assert settings.environment("staging").url == "x://a"
    assert settings.environment("production").name == "prod"
    assert settings.environment("prod").promoted_from == "staging"
    assert settings.versions_dir == tmp_path / "versions"


def test_config_is_found_upwards_and_in_pyproject(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nivomigrate]\nversions = "migrations"\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    assert load_settings(cwd=nested, environ={}).versions_dir == tmp_path / "migrations"


def test_each_environment_reads_its_own_dotenv_file(tmp_path):
    (tmp_path / "staging.env").write_text("POSTGRES_URL_NON_POOLING=postgresql://s@h/db\n")
    (tmp_path / "prod.env").write_text("POSTGRES_URL_NON_POOLING=postgresql://p@h/db\n"
                                       "POSTGRES_PRISMA_URL=postgresql://p@h:6543/db\n")
    (tmp_path / "nivomigrate.toml").write_text(
        '[environments.staging]\nenv_file = "staging.env"\nurl_env = "POSTGRES_URL_NON_POOLING"\n'
        '[environments.prod]\nenv_file = "prod.env"\nurl_env = "POSTGRES_URL_NON_POOLING"\n'
        'promoted_from = "staging"\n')
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.environment("staging").url == "postgresql://s@h/db"
    assert settings.environment("prod").url == "postgresql://p@h/db"
    assert settings.environment("prod").pooled_urls == (
        ("POSTGRES_PRISMA_URL", "postgresql://p@h:6543/db"),)
    assert "prod.env" in settings.environment("prod").source


def test_env_file_option_loads_variables_already_set_win(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    extra = tmp_path / "extra.env"
    extra.write_text("STAGING_POSTGRES_URL_NON_POOLING=postgresql://file@h/db\n"
                     "PROD_POSTGRES_URL_NON_POOLING=postgresql://file@h/prod\n")
    settings = load_settings(cwd=tmp_path, env_file=extra,
                             environ={"STAGING_POSTGRES_URL_NON_POOLING": "postgresql://set@h/db"})
    assert settings.environment("staging").url == "postgresql://set@h/db"
    assert settings.environment("prod").url == "postgresql://file@h/prod"


@pytest.mark.parametrize("text, key", [
    ("colour = 1\n", "colour"),
    ("[environments.staging]\nurl = 'x'\n", "url"),
    ("[timeouts]\nlock_timeout = 3\n", "lock_timeout"),
])
def test_unknown_keys_are_errors(tmp_path, text, key):
    (tmp_path / "nivomigrate.toml").write_text(text)
    with pytest.raises(ConfigError, match=f"unknown key '{key}'"):
        load_settings(cwd=tmp_path, environ={})


def test_missing_config_and_missing_env_file_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="no nivomigrate.toml"):
        load_settings(cwd=tmp_path, environ={})
    (tmp_path / "nivomigrate.toml").write_text('[environments.staging]\nenv_file = "nope.env"\n')
    with pytest.raises(ConfigError, match="nope.env does not exist"):
        load_settings(cwd=tmp_path, environ={})


def test_unknown_environment_names_the_known_ones(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    with pytest.raises(ConfigError) as error:
        load_settings(cwd=tmp_path, environ={}).environment("qa")
    assert error.value.exit_code == 2 and "prod, staging" in error.value.hint


@pytest.mark.parametrize("text, message", [
    ('[timeouts]\nlock_timeout_ms = "2s"\n', "lock_timeout_ms must be a whole number"),
    ("versions = 5\n", "versions must be a string"),
    ("prisma_schema = true\n", "prisma_schema must be a string"),
    ('[environments.prod]\nallow_session_pooler = "yes"\n',
     "allow_session_pooler must be true or false"),
])
def test_values_of_the_wrong_type_are_errors(tmp_path, text, message):
    (tmp_path / "nivomigrate.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(cwd=tmp_path, environ={})


@pytest.mark.parametrize(("value", "allowed"), [
    ("1", {"staging", "prod"}), ("true", {"staging", "prod"}), ("0", set()), ("", set()),
    ("staging", {"staging"}), ("production,staging", {"staging", "prod"}),
])
def test_session_pooler_is_allowed_by_the_environment_variable(tmp_path, value, allowed):
    settings = load_settings(project_root=tmp_path,
                             environ={"NIVOMIGRATE_ALLOW_SESSION_POOLER": value})
    assert {name for name, env in settings.environments.items()
            if env.allow_session_pooler} == allowed


def test_session_pooler_is_allowed_per_environment_in_the_config(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text(
        "[environments.staging]\nallow_session_pooler = true\n[environments.prod]\n")
    settings = load_settings(cwd=tmp_path, environ={})
    assert settings.environment("staging").allow_session_pooler
    assert not settings.environment("prod").allow_session_pooler


def test_unreadable_session_pooler_variable_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="NIVOMIGRATE_ALLOW_SESSION_POOLER"):
        load_settings(project_root=tmp_path,
                      environ={"NIVOMIGRATE_ALLOW_SESSION_POOLER": "staging;rm"})


def test_prisma_schema_is_relative_to_the_configuration(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text('prisma_schema = "app/prisma/schema.prisma"\n')
    (tmp_path / "sub").mkdir()
    settings = load_settings(cwd=tmp_path / "sub", environ={})
    assert settings.prisma_schema == tmp_path / "app" / "prisma" / "schema.prisma"
    (tmp_path / "nivomigrate.toml").write_text("")
    assert load_settings(cwd=tmp_path, environ={}).prisma_schema is None


def test_the_cache_folder_comes_from_the_environment_even_as_root(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text('[shadow]\ncache_dir = "from-toml"\n')
    chosen = load_settings(cwd=tmp_path, environ={"NIVOMIGRATE_CACHE_DIR": str(tmp_path / "c"),
                                                  "XDG_CACHE_HOME": "/elsewhere"})
    assert chosen.shadow_cache_dir == tmp_path / "c"
    assert load_settings(cwd=tmp_path, environ={}).shadow_cache_dir == Path("from-toml")
    (tmp_path / "nivomigrate.toml").write_text("")
    xdg = load_settings(cwd=tmp_path, environ={"XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert xdg.shadow_cache_dir == tmp_path / "xdg" / "nivomigrate"  # as root too


@pytest.mark.parametrize(("text", "accepted"), [
    ("idle_in_transaction_timeout_ms = 1000", True),
    ("revision_python_s = 5", True),
    ("revision_python_s = 0", False),
])
def test_every_timeout_key_is_checked_not_a_crash(tmp_path, text, accepted):
    (tmp_path / "nivomigrate.toml").write_text(f"[timeouts]\n{text}\n")
    if accepted:
        load_settings(cwd=tmp_path, environ={})
    else:
        with pytest.raises(ConfigError, match="revision_python_s must be at least 1"):
            load_settings(cwd=tmp_path, environ={})


def test_a_config_that_is_not_utf8_is_an_error_naming_the_line(tmp_path):
    (tmp_path / "nivomigrate.toml").write_bytes(b'versions = "versions"\n# caf\xe9\n')
    with pytest.raises(ConfigError, match=r"nivomigrate.toml:2: not UTF-8 text \(byte 0xe9\)"):
        load_settings(cwd=tmp_path, environ={})


def test_only_the_platforms_unprefixed_url_names_env_file_per_environment(tmp_path):
    from nivomigrate.db import target_for

    (tmp_path / "nivomigrate.toml").write_text("[environments.staging]\n[environments.prod]\n")
    settings = load_settings(project_root=tmp_path, environ={
        "POSTGRES_URL_NON_POOLING": "postgresql://u:pw@db.example.invalid:5432/postgres"})

    with pytest.raises(ConfigError) as error:
        target_for(settings.environment("staging"))

    assert "STAGING_POSTGRES_URL_NON_POOLING is not set" in str(error.value)
    assert '[environments.staging] env_file = ".env.staging"' in error.value.hint
    assert 'url_env = "POSTGRES_URL_NON_POOLING"' in error.value.hint
    assert "did you mean" not in error.value.hint and "pw" not in error.value.hint


def _git_project(tmp_path, user: str | None):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    if user:
        subprocess.run(["git", "-C", str(tmp_path), "config", "user.name", user], check=True)
    (tmp_path / "nivomigrate.toml").write_text("")


def test_actor_is_githubs_actor_first(tmp_path):
    _git_project(tmp_path, "Ada Lovelace")
    settings = load_settings(project_root=tmp_path, environ={
        "GITHUB_ACTOR": "octocat", "GITHUB_ACTIONS": "true", "USER": "runner"})
    assert settings.actor == "ci:octocat"


def test_actor_is_gits_user_name_then_the_login_name(tmp_path):
    _git_project(tmp_path, "Ada Lovelace")
    assert load_settings(project_root=tmp_path, environ={"USER": "ada"}).actor == "Ada Lovelace"

    other = tmp_path / "other"  # no user.name of its own, no HOME: no global one either
    other.mkdir()
    _git_project(other, None)
    assert load_settings(project_root=other, environ={"USER": "ada"}).actor == "ada"
    assert load_settings(project_root=other, environ={}).actor == "unknown"
