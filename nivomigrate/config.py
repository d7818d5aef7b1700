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

_TOP_KEYS = {"versions", "policies", "models", "environments", "shadow", "timeouts",
             "prisma_schema", "fleets"}
_FLEET_KEYS = {"waves", "max_failures", "soak_minutes", "soak_seconds", "max_parallel"}
_ENV_KEYS = {"url_env", "env_file", "promoted_from", "allow_session_pooler", "read_only_url_env"}
_SHADOW_KEYS = {"url_env", "cache_dir"}
_TIMEOUT_KEYS = {"lock_timeout_ms", "statement_timeout_ms", "connect_timeout_s", "lock_retries",
                 "idle_in_transaction_timeout_ms", "revision_python_s"}
# Allows the session pooler from the environment (the workflows set it): 1/true/yes for every
# environment, or a comma-separated list of environment names.
ALLOW_SESSION_POOLER_VARIABLE = "NIVOMIGRATE_ALLOW_SESSION_POOLER"
# The key that signs the ledger's runs (docs/workflow.md, "Signed runs"): a CI secret.
LEDGER_KEY_VARIABLE = "NIVOMIGRATE_LEDGER_KEY"
# A fleet workflow's job promotes one target (docs/fleet.md): GitHub Actions cannot name an
# environment variable after the matrix, so the job passes the target's name and its URL
# (the secret named by its url_env) in these two; the target's own url_env, when set, wins.
FLEET_TARGET_VARIABLE = "NIVOMIGRATE_FLEET_TARGET"
FLEET_TARGET_URL_VARIABLE = "NIVOMIGRATE_FLEET_TARGET_URL"
# The fleet workflow's plan job reads every target: one secret holding `url_env=URL` lines
# (dotenv), read below every other source.
FLEET_URLS_VARIABLE = "NIVOMIGRATE_FLEET_URLS"
# The own shadow server's folder (wins over [shadow] cache_dir and XDG_CACHE_HOME).
CACHE_DIR_VARIABLE = "NIVOMIGRATE_CACHE_DIR"


@dataclass(frozen=True)
class Timeouts:
    lock_timeout_ms: int = 2_000
    statement_timeout_ms: int = 15 * 60_000
    connect_timeout_s: int = 10
    lock_retries: int = 5
    idle_in_transaction_timeout_ms: int = 10 * 60_000
    # How long a revision's Python may run without sending a statement (revision_code.py).
    revision_python_s: int = 60


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
    # A read-only role's URL for the staging checks' commands (`read_only_url_env`).
    read_only_url_variable: str | None = None
    read_only_url: str | None = field(default=None, repr=False)
    # A set variable whose name is close to url_variable (a typo), for the error's hint.
    near_variable: str | None = None


@dataclass(frozen=True)
class Fleet:
    """Environments promoted from one staging run, wave after wave (`[fleets.<name>]`).

    The halt rule: at most `max_failures` targets may fail over the whole fleet before the
    next wave is refused; each wave after the first waits `soak_seconds` after the previous
    one finished; at most `max_parallel` targets of a wave run at once (GitHub's
    `max-parallel`)."""

    name: str
    waves: tuple[tuple[str, ...], ...]
    promoted_from: str
    max_failures: int = 0
    soak_seconds: int = 0
    max_parallel: int = 4

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(target for wave in self.waves for target in wave)


@dataclass(frozen=True)
class Settings:
    root: Path
    versions_dir: Path
    policies_dir: Path
    environments: dict[str, Environment]
    # The models' module ("package.module"), imported from `root` (nivomigrate/models.py);
    # None when nivomigrate.toml names none (the commands that need models then say so).
    models: str | None = None
    timeouts: Timeouts = Timeouts()
    shadow_url: str | None = field(default=None, repr=False)
    shadow_cache_dir: Path | None = None  # None: shadow.default_cache_dir()
    actor: str = "unknown"
    in_ci: bool = False
    step_summary: Path | None = None
    prisma_schema: Path | None = None  # the app's schema.prisma, kept in step with head
    # What commands run by nivomigrate (staging checks) inherit: no database URL in it.
    command_environ: dict[str, str] = field(default_factory=dict, repr=False)
    # NIVOMIGRATE_LEDGER_KEY: signs each run's ledger row, checked by promote (never shown).
    ledger_key: str | None = field(default=None, repr=False)
    fleets: dict[str, Fleet] = field(default_factory=dict)

    def fleet(self, name: str) -> Fleet:
        """Return the fleet called `name`.

        Raises:
            ConfigError: no such [fleets.<name>] table.
        """
        if name not in self.fleets:
            known = ", ".join(sorted(self.fleets)) or "none is configured"
            raise ConfigError(f"unknown fleet {name!r}",
                              hint=f"use one of: {known} ([fleets.<name>] in nivomigrate.toml, "
                              "docs/fleet.md)")
        return self.fleets[name]

    def selected(self, selection: str) -> list[str]:
        """Return the environment names `selection` means: `all`, or one name (or alias).

        Raises:
            ConfigError: the name is unknown.
        """
        if selection == "all":
            return list(self.environments)
        return [self.environment(selection).name]

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
    from nivomigrate.redaction import remember_environment

    environ = dict(os.environ if environ is None else environ)
    explicit = _read_dotenv(env_file) if env_file is not None else {}
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
    project_env = root / ".env"
    defaults = _read_dotenv(project_env) if project_env.is_file() else {}
    environ = {**_fleet_urls(environ), **defaults, **explicit, **environ}
    # NIVOMIGRATE_FLEET_URLS is many lines: its URLs were remembered one by one (_fleet_urls);
    # read as one URL, its line breaks would make variable names look like passwords.
    remember_environment({key: value for key, value in environ.items()
                          if key != FLEET_URLS_VARIABLE})
    return _settings_from(raw, root, environ, str(path))


def _fleet_urls(environ: dict[str, str]) -> dict[str, str]:
    """Return the `url_env=URL` lines of NIVOMIGRATE_FLEET_URLS (dotenv text), remembered as
    secrets; {} when unset."""
    import io

    from dotenv import dotenv_values

    from nivomigrate.redaction import remember_environment

    text = environ.get(FLEET_URLS_VARIABLE) or ""
    if not text.strip():
        return {}
    values = {key: value for key, value in dotenv_values(stream=io.StringIO(text)).items()
              if value is not None}
    remember_environment(values, secret_names=True)
    return values


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
    shadow_variable = _typed(shadow, "url_env", str, f"{where} [shadow]",
                             "NIVOMIGRATE_SHADOW_URL")
    cache_dir = _typed(shadow, "cache_dir", str, f"{where} [shadow]", None)
    return Settings(
        root=root,
        versions_dir=root / _typed(raw, "versions", str, where, "versions"),
        policies_dir=root / _typed(raw, "policies", str, where, "policies"),
        models=_module_name(raw, where),
        environments=environments,
        timeouts=_timeouts(timeouts, f"{where} [timeouts]"),
        shadow_url=environ.get(shadow_variable) or None,
        shadow_cache_dir=shadow_cache_dir(environ, cache_dir),
        actor=_actor(environ, root),
        in_ci=bool(environ.get("CI")),
        step_summary=Path(environ["GITHUB_STEP_SUMMARY"]) if environ.get("GITHUB_STEP_SUMMARY")
        else None,
        command_environ=_without_urls(environ, environments, shadow_variable),
        ledger_key=_ledger_key(environ),
        prisma_schema=root / prisma if (prisma := _typed(raw, "prisma_schema", str, where, None))
        else None,
        fleets=_fleets(raw.get("fleets", {}), environments, where),
    )


def _fleets(tables: dict, environments: dict[str, Environment], where: str) -> dict[str, Fleet]:
    """Return the [fleets.<name>] tables as Fleets.

    Raises:
        ConfigError: a fleet that is not a table, an unknown key, a wave that is empty or not a
            list of names, an unknown environment, one in two waves, members promoted from
            different environments (or from none), or a halt-rule value out of range.
    """
    if not isinstance(tables, dict):
        raise ConfigError(f"{where}: fleets must be tables ([fleets.<name>])",
                          hint="see docs/fleet.md")
    return {name: _fleet(name, table, environments, f"{where} [fleets.{name}]")
            for name, table in tables.items()}


def _fleet(name: str, table, environments: dict[str, Environment], where: str) -> Fleet:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table", hint="see docs/fleet.md")
    _reject_unknown(table, _FLEET_KEYS, where)
    waves = _waves(table.get("waves"), environments, where)
    sources = {environments[target].promoted_from for wave in waves for target in wave}
    if None in sources or len(sources) != 1:
        named = ", ".join(sorted(f"{t} from {environments[t].promoted_from or 'nothing'}"
                                 for wave in waves for t in wave))
        raise ConfigError(f"{where}: every target must be promoted from the same environment "
                          f"({named})", hint="set promoted_from = \"staging\" in each "
                          "[environments.<target>] of the fleet")
    if "soak_minutes" in table and "soak_seconds" in table:
        raise ConfigError(f"{where}: set soak_minutes or soak_seconds, not both",
                          hint="see docs/fleet.md")
    soak = (_at_least(table, "soak_minutes", 0, where, 0) * 60
            + _at_least(table, "soak_seconds", 0, where, 0))
    return Fleet(name=name, waves=waves, promoted_from=sources.pop(),
                 max_failures=_at_least(table, "max_failures", 0, where, 0), soak_seconds=soak,
                 max_parallel=_at_least(table, "max_parallel", 1, where, Fleet.max_parallel))


def _waves(raw, environments: dict[str, Environment], where: str) -> tuple[tuple[str, ...], ...]:
    """Return `waves` as tuples of environment names, each name in one wave only."""
    example = 'waves = [["prod-canary"], ["prod-eu", "prod-us"]]'
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}: waves must be a non-empty list of lists of environments",
                          hint=f"e.g. {example}")
    seen: dict[str, int] = {}
    for number, wave in enumerate(raw, start=1):
        if not isinstance(wave, list) or not all(isinstance(n, str) for n in wave):
            raise ConfigError(f"{where}: wave {number} must be a list of environment names",
                              hint=f"e.g. {example}")
        if not wave:
            raise ConfigError(f"{where}: wave {number} is empty",
                              hint="remove it, or name the environments it promotes")
        for target in wave:
            if target not in environments:
                known = ", ".join(sorted(environments))
                raise ConfigError(f"{where}: wave {number} names unknown environment {target!r}",
                                  hint=f"add [environments.{target}] or use one of: {known}")
            if target in seen:
                raise ConfigError(f"{where}: {target} is in wave {seen[target]} and wave "
                                  f"{number}", hint="name each target in one wave only")
            seen[target] = number
    return tuple(tuple(wave) for wave in raw)


def _at_least(table: dict, key: str, minimum: int, where: str, default: int) -> int:
    """Return `table[key]`, a whole number of at least `minimum` (`default` when absent)."""
    value = _typed(table, key, int, where, default)
    if value < minimum:
        raise ConfigError(f"{where}: {key} must be at least {minimum}, not {value}",
                          hint="see docs/fleet.md")
    return value


def shadow_cache_dir(environ: dict[str, str] | None = None,
                     configured: str | None = None) -> Path:
    """Return the own shadow server's cache folder: NIVOMIGRATE_CACHE_DIR, else [shadow]
    cache_dir (`configured`), else $XDG_CACHE_HOME/nivomigrate, else the default
    (`shadow.default_cache_dir`); the same as root. `environ` defaults to the process's."""
    from nivomigrate.shadow import default_cache_dir

    environ = os.environ if environ is None else environ
    chosen = environ.get(CACHE_DIR_VARIABLE) or configured
    if chosen:
        return Path(chosen).expanduser()
    return default_cache_dir(environ.get("XDG_CACHE_HOME") or None)


# The smallest value of each timeout that lets nivomigrate's own catalog queries finish
# (0 = no limit for the two PostgreSQL timeouts).
_TIMEOUT_MINIMUMS = {"lock_timeout_ms": 0, "statement_timeout_ms": 1000, "connect_timeout_s": 1,
                     "lock_retries": 0, "idle_in_transaction_timeout_ms": 0,
                     "revision_python_s": 1}


def _timeouts(table: dict, where: str) -> Timeouts:
    """Return the [timeouts] table as Timeouts, each value a whole number in its range.

    Raises:
        ConfigError: a value is not a whole number, or below its minimum.
    """
    values = {key: _typed(table, key, int, where, None) for key in table}
    for key, value in values.items():
        minimum = _TIMEOUT_MINIMUMS[key]
        if value < minimum and not (key == "statement_timeout_ms" and value == 0):
            allowed = ("0 (no limit) or at least 1000" if key == "statement_timeout_ms"
                       else f"at least {minimum}")
            raise ConfigError(f"{where}: {key} must be {allowed}, not {value}",
                              hint="see README, Configuration")
    return Timeouts(**values)


def _without_urls(environ: dict[str, str], environments: dict[str, Environment],
                  shadow_variable: str) -> dict[str, str]:
    """Return `environ` less every variable that holds a database URL nivomigrate knows, and
    the ledger key (a staging check's command must not be able to sign a run)."""
    secret = {env.url_variable for env in environments.values()}
    secret |= {env.read_only_url_variable for env in environments.values()
               if env.read_only_url_variable}
    secret |= {*POOLED_VARIABLES, shadow_variable, "POSTGRES_URL_NON_POOLING",
               LEDGER_KEY_VARIABLE, FLEET_TARGET_URL_VARIABLE, FLEET_URLS_VARIABLE}
    return {key: value for key, value in environ.items() if key not in secret}


def _ledger_key(environ: dict[str, str]) -> str | None:
    """Return NIVOMIGRATE_LEDGER_KEY, registered as a secret (see `redaction`).

    Raises:
        ConfigError: set but shorter than 16 characters (too weak to sign with).
    """
    from nivomigrate.redaction import remember

    key = environ.get(LEDGER_KEY_VARIABLE) or None
    if key is None:
        return None
    remember(key)
    if len(key) < 16:
        raise ConfigError(f"{LEDGER_KEY_VARIABLE} is too short to sign the ledger with",
                          hint="use a random secret of 32+ characters: "
                          "python -c 'import secrets; print(secrets.token_hex(32))'")
    return key


def _environment(name: str, table: dict, root: Path, environ: dict, where: str) -> Environment:
    where = f"{where} [environments.{name}]"
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table", hint="see README, Configuration")
    _reject_unknown(table, _ENV_KEYS, where)
    variable = _typed(table, "url_env", str, where,
                      DEFAULT_URL_VARIABLES.get(name, f"{name.upper()}_DATABASE_URL"))
    values, source = environ, "the environment"
    if "env_file" in table:
        env_path = root / _typed(table, "env_file", str, where, None)
        values, source = {**environ, **_read_dotenv(env_path)}, str(env_path)
    pooled = tuple((key, values[key]) for key in POOLED_VARIABLES if values.get(key))
    read_only = _typed(table, "read_only_url_env", str, where, None)
    url = values.get(variable) or None
    if url is None and environ.get(FLEET_TARGET_VARIABLE) == name \
            and environ.get(FLEET_TARGET_URL_VARIABLE):
        url, source = environ[FLEET_TARGET_URL_VARIABLE], FLEET_TARGET_URL_VARIABLE
        variable_source = f"{FLEET_TARGET_URL_VARIABLE} (the fleet job's target {name})"
    else:
        variable_source = f"{variable} from {source}"
    return Environment(
        name=name,
        url_variable=variable,
        url=url,
        source=variable_source,
        promoted_from=_typed(table, "promoted_from", str, where, None),
        allow_session_pooler=_typed(table, "allow_session_pooler", bool, where, False)
        or _allowed_by_variable(name, environ),
        pooled_urls=pooled,
        read_only_url_variable=read_only,
        read_only_url=values.get(read_only) or None if read_only else None,
        near_variable=None if url else _near(variable, values),
    )


def _allowed_by_variable(name: str, environ: dict[str, str]) -> bool:
    """Tell whether NIVOMIGRATE_ALLOW_SESSION_POOLER allows the session pooler for `name`.

    Raises:
        ConfigError: a value that is neither true/false nor environment names.
    """
    value = environ.get(ALLOW_SESSION_POOLER_VARIABLE, "").strip().lower()
    if value in ("", "0", "false", "no", "off"):
        return False
    if value in ("1", "true", "yes", "on", "all"):
        return True
    names = {part.strip() for part in value.split(",") if part.strip()}
    if not names or any(not part.replace("_", "").replace("-", "").isalnum() for part in names):
        raise ConfigError(f"{ALLOW_SESSION_POOLER_VARIABLE}={value!r} is not understood",
                          hint="set it to 1 (every environment) or to environment names, "
                          "e.g. staging,prod")
    return name in {ALIASES.get(part, part) for part in names}


def _module_name(raw: dict, where: str) -> str | None:
    """Return the `models` key: a dotted module name, None when not set.

    Raises:
        ConfigError: it is not a dotted name of Python identifiers.
    """
    name = _typed(raw, "models", str, where, None)
    if name is not None and not all(part.isidentifier() for part in name.split(".")):
        raise ConfigError(f"{where}: models must be a module name like \"app.models\", "
                          f"not {name!r}", hint="see README, Configuration")
    return name


def _near(variable: str, values: dict[str, str]) -> str | None:
    """Return a set variable named almost like `variable` (`STAGING_POSTGRES_URL_NON_POLING`)."""
    import difflib

    names = [name for name in values if "URL" in name.upper() and values[name]]
    close = difflib.get_close_matches(variable, names, n=1, cutoff=0.85)
    return close[0] if close else None


def _reject_unknown(table: dict, allowed: set[str], where: str) -> None:
    from nivomigrate.policies import reject_unknown_keys

    reject_unknown_keys(table, allowed, where)


def _typed(table: dict, key: str, kind: type, where: str, default):
    """Return `table[key]` when it is of `kind` (or `default` when absent).

    Raises:
        ConfigError: the value has another type.
    """
    if key not in table:
        return default
    value = table[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{where}: {key} must be {_KIND_NAMES[kind]}, not {value!r}",
                          hint="see README, Configuration")
    return value


_KIND_NAMES = {str: "a string", int: "a whole number", bool: "true or false"}


def _read_toml(path: Path) -> dict:
    from nivomigrate.files import read_text

    try:
        return tomllib.loads(read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the file") from exc


def _read_dotenv(path: Path) -> dict[str, str]:
    import io

    from dotenv import dotenv_values

    from nivomigrate.files import read_text
    from nivomigrate.redaction import remember_environment

    if not path.is_file():
        raise ConfigError(f"env file {path} does not exist", hint="check the path")
    text = read_text(path)
    values = {key: value for key, value in dotenv_values(stream=io.StringIO(text)).items()
              if value is not None}
    remember_environment(values, secret_names=True)
    return values


def _actor(environ: dict[str, str], root: Path) -> str:
    """Who runs: GitHub's actor (`ci:octocat`), else git's user.name in the project, else the
    login name; `ci` or `unknown` only when none is known."""
    if environ.get("GITHUB_ACTOR"):
        return f"ci:{environ['GITHUB_ACTOR']}"
    return (_git_user(root, environ) or environ.get("USER") or environ.get("USERNAME")
            or ("ci" if environ.get("CI") else "unknown"))


def _git_user(root: Path, environ: dict[str, str]) -> str | None:
    """git's user.name for `root`: its repository's, else the global one of `environ`'s HOME;
    None without git."""
    import subprocess

    names = ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM")
    env = {"PATH": os.environ.get("PATH", ""), **{k: environ[k] for k in names if k in environ}}
    try:
        found = subprocess.run(["git", "config", "user.name"], cwd=root, capture_output=True,
                               text=True, timeout=10, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found.stdout.strip() or None


@dataclass(frozen=True)
class GitHubContext:
    """What a GitHub Actions job knows about its pull request (`nivomigrate comment`)."""

    api_url: str = "https://api.github.com"
    repository: str | None = None
    token: str | None = field(default=None, repr=False)
    pull_request: int | None = None
    base_sha: str | None = None
    is_fork: bool = False
    run_url: str | None = None
    step_summary: Path | None = None


def github_context(environ: dict[str, str] | None = None) -> GitHubContext:
    """Read the job's GitHub variables and its event payload (GITHUB_EVENT_PATH).

    Raises:
        ConfigError: the event payload cannot be read.
    """
    import json

    environ = dict(os.environ if environ is None else environ)
    event: dict = {}
    if environ.get("GITHUB_EVENT_PATH"):
        try:
            event = json.loads(Path(environ["GITHUB_EVENT_PATH"]).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the event payload: {exc}",
                              hint="run this in a GitHub Actions job") from None
    pull = event.get("pull_request") or {}
    repository = environ.get("GITHUB_REPOSITORY")
    head_repository = ((pull.get("head") or {}).get("repo") or {}).get("full_name")
    server, run_id = environ.get("GITHUB_SERVER_URL"), environ.get("GITHUB_RUN_ID")
    return GitHubContext(
        api_url=(environ.get("GITHUB_API_URL") or GitHubContext.api_url).rstrip("/"),
        repository=repository,
        token=environ.get("GITHUB_TOKEN") or None,
        pull_request=pull.get("number"),
        base_sha=(pull.get("base") or {}).get("sha"),
        is_fork=bool(head_repository) and head_repository != repository,
        run_url=f"{server}/{repository}/actions/runs/{run_id}" if server and run_id else None,
        step_summary=Path(environ["GITHUB_STEP_SUMMARY"]) if environ.get("GITHUB_STEP_SUMMARY")
        else None,
    )


def step_output_file(environ: dict[str, str] | None = None) -> Path | None:
    """Return GitHub Actions' step output file (`$GITHUB_OUTPUT`), None outside a job."""
    environ = os.environ if environ is None else environ
    return Path(environ["GITHUB_OUTPUT"]) if environ.get("GITHUB_OUTPUT") else None
