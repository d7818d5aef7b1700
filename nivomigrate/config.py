"""Settings: the one place that reads nivomigrate.toml, dotenv files and the environment.

Below this module, code takes `Settings` or plain values and never reads `os.environ` or files.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from nivomigrate.errors import ConfigError

CONFIG_FILE = "nivomigrate.toml"
ALIASES = {"production": "prod"}
DEFAULT_URL_VARIABLES = {
    "staging": "STAGING_POSTGRES_URL_NON_POOLING",
    "prod": "PROD_POSTGRES_URL_NON_POOLING",
}
# Variables that hold the apps' pooled and replica URLs: never valid for migrations.
POOLED_VARIABLES = ("POSTGRES_PRISMA_URL", "POSTGRES_READ_REPLICA_URL")

_TOP_KEYS = {"versions", "policies", "environments", "shadow", "timeouts"}
_ENV_KEYS = {"url_env", "env_file", "promoted_from", "allow_session_pooler"}
_SHADOW_KEYS = {"url_env", "cache_dir"}
_TIMEOUT_KEYS = {"lock_timeout_ms", "statement_timeout_ms", "connect_timeout_s", "lock_retries"}


@dataclass(frozen=True)
class Timeouts:
    lock_timeout_ms: int = 2_000
    statement_timeout_ms: int = 15 * 60_000
    connect_timeout_s: int = 10
    lock_retries: int = 5


@dataclass(frozen=True)
class Environment:
    """One managed database: where its direct URL comes from, and the URL itself."""

    name: str
    url_variable: str
    url: str | None = field(repr=False)
    source: str
    promoted_from: str | None = None
    allow_session_pooler: bool = False
    pooled_urls: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@dataclass(frozen=True)
class Settings:
    root: Path
    versions_dir: Path
    policies_dir: Path
    environments: dict[str, Environment]
    timeouts: Timeouts = Timeouts()
    shadow_url: str | None = field(default=None, repr=False)
    shadow_cache_dir: Path | None = None
    actor: str = "unknown"
    in_ci: bool = False
    step_summary: Path | None = None

    def environment(self, name: str) -> Environment:
        """Return the environment called `name` (`production` means `prod`).

        Raises:
            ConfigError: the name is unknown.
        """
        key = ALIASES.get(name, name)
        if key not in self.environments:
            known = ", ".join(sorted(self.environments))
            raise ConfigError(f"unknown environment {name!r}", hint=f"use one of: {known}")
        return self.environments[key]


def find_config(start: Path) -> Path | None:
    """Return the nivomigrate.toml (or a pyproject.toml with [tool.nivomigrate]) above `start`."""
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder / CONFIG_FILE
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "nivomigrate" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def load_settings(
    cwd: Path | None = None,
    env_file: Path | None = None,
    environ: dict[str, str] | None = None,
    project_root: Path | None = None,
) -> Settings:
    """Read configuration for the project around `cwd` (or at `project_root`).

    Raises:
        ConfigError: no configuration file, unknown keys, a bad value or a missing env file.
    """
    environ = dict(os.environ if environ is None else environ)
    if env_file is not None:
        environ = {**_read_dotenv(env_file), **environ}
    if project_root is not None:
        path = project_root / CONFIG_FILE
        raw = _read_toml(path) if path.is_file() else {}
    else:
        path = find_config((cwd or Path.cwd()).resolve())
        if path is None:
            raise ConfigError(
                f"no {CONFIG_FILE} found in {cwd or Path.cwd()} or its parents",
                hint="run nivomigrate from your project, or create nivomigrate.toml (see README)",
            )
        raw = _read_toml(path)
        if path.name == "pyproject.toml":
            raw = raw["tool"]["nivomigrate"]
    root = path.parent
    return _settings_from(raw, root, environ, str(path))


def _settings_from(raw: dict, root: Path, environ: dict[str, str], where: str) -> Settings:
    _reject_unknown(raw, _TOP_KEYS, where)
    env_tables = raw.get("environments") or {
        "staging": {},
        "prod": {"promoted_from": "staging"},
    }
    environments = {
        name: _environment(name, table, root, environ, where) for name, table in env_tables.items()
    }
    shadow = raw.get("shadow", {})
    _reject_unknown(shadow, _SHADOW_KEYS, f"{where} [shadow]")
    timeouts = raw.get("timeouts", {})
    _reject_unknown(timeouts, _TIMEOUT_KEYS, f"{where} [timeouts]")
    shadow_variable = shadow.get("url_env", "NIVOMIGRATE_SHADOW_URL")
    cache_dir = shadow.get("cache_dir")
    return Settings(
        root=root,
        versions_dir=root / raw.get("versions", "versions"),
        policies_dir=root / raw.get("policies", "policies"),
        environments=environments,
        timeouts=Timeouts(**{key: int(value) for key, value in timeouts.items()}),
        shadow_url=environ.get(shadow_variable) or None,
        shadow_cache_dir=Path(cache_dir).expanduser() if cache_dir else None,
        actor=_actor(environ),
        in_ci=bool(environ.get("CI")),
        step_summary=Path(environ["GITHUB_STEP_SUMMARY"]) if environ.get("GITHUB_STEP_SUMMARY")
        else None,
    )


def _environment(name: str, table: dict, root: Path, environ: dict, where: str) -> Environment:
    _reject_unknown(table, _ENV_KEYS, f"{where} [environments.{name}]")
    variable = table.get("url_env", DEFAULT_URL_VARIABLES.get(name, f"{name.upper()}_DATABASE_URL"))
    values, source = environ, "the environment"
    if "env_file" in table:
        env_path = root / table["env_file"]
        values, source = {**environ, **_read_dotenv(env_path)}, str(env_path)
    pooled = tuple((key, values[key]) for key in POOLED_VARIABLES if values.get(key))
    return Environment(
        name=name,
        url_variable=variable,
        url=values.get(variable) or None,
        source=f"{variable} from {source}",
        promoted_from=table.get("promoted_from"),
        allow_session_pooler=bool(table.get("allow_session_pooler", False)),
        pooled_urls=pooled,
    )


def _reject_unknown(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"unknown key {unknown[0]!r} in {where}",
            hint=f"allowed keys: {', '.join(sorted(allowed))}",
        )


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the file") from exc


def _read_dotenv(path: Path) -> dict[str, str]:
    from dotenv import dotenv_values

    if not path.is_file():
        raise ConfigError(f"env file {path} does not exist", hint="check the path")
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def _actor(environ: dict[str, str]) -> str:
    if environ.get("GITHUB_ACTIONS"):
        return f"ci:{environ.get('GITHUB_ACTOR', 'github')}"
    if environ.get("CI"):
        return "ci"
    return environ.get("USER") or environ.get("USERNAME") or "unknown"
