"""The promotion safety policy, `policies/promotion.yaml`, as an object (docs/safety.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nivomigrate.errors import ConfigError
from nivomigrate.policies import load_policy, reject_unknown_keys

FILE_NAME = "promotion.yaml"
_KEYS = {"squawk_default", "squawk", "large_table", "max_lock_hold_ms", "max_rewrite_bytes",
         "staging_checks", "duration_window_s", "require_signed_runs", "way_back", "contract"}
_LEVELS = {"block", "warn", "off"}


@dataclass(frozen=True)
class StagingCheck:
    """An assertion run on staging after apply: `sql` whose first value must equal `expect`,
    or a shell `command` that must exit 0."""

    name: str
    sql: str | None = None
    expect: str | None = None
    command: str | None = None


@dataclass(frozen=True)
class PromotionPolicy:
    squawk_levels: dict[str, str] = field(default_factory=dict)
    squawk_default: str = "warn"
    large_table_rows: int = 1_000_000
    large_table_bytes: int = 1 << 30
    max_lock_hold_ms: int = 1000
    table_max_lock_hold_ms: dict[str, int] = field(default_factory=dict)
    max_rewrite_bytes: int = 100 << 20
    staging_checks: tuple[StagingCheck, ...] = ()
    duration_window_s: float | None = None
    table_duration_window_s: dict[str, float] = field(default_factory=dict)
    # promote refuses staging runs without a valid signature of NIVOMIGRATE_LEDGER_KEY, and
    # refuses to run without the key (when the key is set, runs are checked anyway).
    require_signed_runs: bool = False
    max_checksum_rows: int = 1_000_000     # way_back: larger tables are counted only
    max_dump_bytes: int = 100 << 20        # way_back: pg_dump before a lossy promotion
    # contract: how long no live build may have read what a contract revision removes before
    # promote runs it (docs/expand-contract.md), in minutes
    contract_quiet_minutes: float = 30.0

    def squawk_level(self, rule: str) -> str:
        """Return `block`, `warn` or `off` for a squawk rule name."""
        return self.squawk_levels.get(rule, self.squawk_default)

    def lock_limits_json(self) -> dict:
        """Return the lock-hold limits as reports keep them: `default_ms` and `tables`."""
        return {"default_ms": self.max_lock_hold_ms, "tables": dict(self.table_max_lock_hold_ms)}

    def lock_hold_limit_ms(self, table: str) -> int:
        """Return the longest allowed hold of a write-blocking lock on `table`, in ms."""
        return self.table_max_lock_hold_ms.get(table, self.max_lock_hold_ms)

    def duration_window(self, table: str) -> float | None:
        """Return the longest the pending statements may work on `table`, in seconds
        (projected onto production); None when no window is declared."""
        return self.table_duration_window_s.get(table, self.duration_window_s)


def load_promotion_policy(policies_dir: Path) -> PromotionPolicy:
    """Read `policies/promotion.yaml`; an absent file gives the defaults.

    Every value is checked for its type here, so a wrong one stops a command before it
    changes anything.

    Raises:
        ConfigError: an unknown key, level, or a value of the wrong type.
    """
    path = policies_dir / FILE_NAME
    raw = load_policy(path, _KEYS)
    squawk = _mapping(raw, "squawk", path)
    levels = {str(rule): _level(value, path) for rule, value in squawk.items()}
    large = _mapping(raw, "large_table", path)
    reject_unknown_keys(large, {"rows", "bytes"}, f"{path} large_table")
    hold = raw.get("max_lock_hold_ms") or {}
    if _is_whole(hold):
        hold = {"default": hold}
    if not isinstance(hold, dict):
        raise _wrong(path, "max_lock_hold_ms", hold, "a whole number or {default, tables}")
    reject_unknown_keys(hold, {"default", "tables"}, f"{path} max_lock_hold_ms")
    tables = _mapping(hold, "tables", path, "max_lock_hold_ms.tables")
    window = _duration_window(raw.get("duration_window_s"), path)
    defaults = PromotionPolicy()
    way_back = _mapping(raw, "way_back", path)
    reject_unknown_keys(way_back, {"max_checksum_rows", "max_dump_bytes"}, f"{path} way_back")
    contract = _mapping(raw, "contract", path)
    reject_unknown_keys(contract, {"quiet_minutes"}, f"{path} contract")
    quiet = contract.get("quiet_minutes", defaults.contract_quiet_minutes)
    if isinstance(quiet, bool) or not isinstance(quiet, (int, float)) or quiet < 0:
        raise _wrong(path, "contract.quiet_minutes", quiet, "a number of minutes, 0 or more")
    checks = raw.get("staging_checks") or []
    if not isinstance(checks, list):
        raise _wrong(path, "staging_checks", checks, "a list of checks")
    return PromotionPolicy(
        squawk_levels=levels,
        squawk_default=_level(raw.get("squawk_default", "warn"), path),
        large_table_rows=_number(large, "rows", defaults.large_table_rows, path, "large_table."),
        large_table_bytes=_number(large, "bytes", defaults.large_table_bytes, path,
                                  "large_table."),
        max_lock_hold_ms=_number(hold, "default", defaults.max_lock_hold_ms, path,
                                 "max_lock_hold_ms."),
        table_max_lock_hold_ms={str(table): _number(tables, table, 0, path,
                                                    "max_lock_hold_ms.tables.")
                                for table in tables},
        max_rewrite_bytes=_number(raw, "max_rewrite_bytes", defaults.max_rewrite_bytes, path),
        staging_checks=tuple(_staging_check(item, path) for item in checks),
        duration_window_s=window.get("default"),
        table_duration_window_s={k: v for k, v in window.items() if k != "default"},
        require_signed_runs=_flag(raw, "require_signed_runs", path),
        max_checksum_rows=_number(way_back, "max_checksum_rows", defaults.max_checksum_rows,
                                  path, "way_back."),
        max_dump_bytes=_number(way_back, "max_dump_bytes", defaults.max_dump_bytes, path,
                               "way_back."),
        contract_quiet_minutes=float(quiet),
    )


def _flag(table: dict, key: str, path: Path) -> bool:
    value = table.get(key, False)
    if not isinstance(value, bool):
        raise _wrong(path, key, value, "true or false")
    return value


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _wrong(path: Path, key: str, value: object, kind: str) -> ConfigError:
    return ConfigError(f"{path}: {key} must be {kind}, not {value!r}",
                       hint="see docs/safety.md, promotion.yaml")


def _mapping(table: dict, key: str, path: Path, label: str | None = None) -> dict:
    value = table.get(key) or {}
    if not isinstance(value, dict):
        raise _wrong(path, label or key, value, "a mapping")
    return value


def _number(table: dict, key: str, default: int, path: Path, prefix: str = "") -> int:
    value = table.get(key, default)
    if not _is_whole(value) or value < 0:
        raise _wrong(path, f"{prefix}{key}", value, "a whole number, 0 or more")
    return value


def _duration_window(raw: object, path: Path) -> dict[str, float]:
    """`duration_window_s: 600` or `{default: 600, tables: {Log: 60}}`, seconds > 0."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raw = {"default": raw}
    reject_unknown_keys(raw, {"default", "tables"}, f"{path} duration_window_s")
    tables = raw.get("tables") or {}
    if not isinstance(tables, dict):
        raise ConfigError(f"{path}: duration_window_s tables must map table names to seconds",
                          hint="duration_window_s: {default: 600, tables: {Log: 60}}")
    found = {str(k): v for k, v in tables.items()}
    if raw.get("default") is not None:
        found["default"] = raw["default"]
    for key, value in found.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ConfigError(f"{path}: duration_window_s {key}: {value!r} is not a positive "
                              "number of seconds",
                              hint="duration_window_s: {default: 600, tables: {Log: 60}}")
    return {key: float(value) for key, value in found.items()}


def _level(value: object, path: Path) -> str:
    # YAML reads a bare `off` as False.
    level = "off" if value is False else str(value)
    if level not in _LEVELS:
        raise ConfigError(f"{path}: unknown level {value!r}", hint="use block, warn or off")
    return level


def _staging_check(item: object, path: Path) -> StagingCheck:
    if not isinstance(item, dict) or "name" not in item:
        raise ConfigError(f"{path}: each staging check needs a name",
                          hint="{name, sql, expect} or {name, command}")
    reject_unknown_keys(item, {"name", "sql", "expect", "command"}, f"{path} staging_checks")
    if ("sql" in item) == ("command" in item):
        raise ConfigError(f"{path}: staging check {item['name']!r} needs sql or command",
                          hint="{name, sql, expect} or {name, command}")
    for key in ("name", "sql", "command"):
        if key in item and not isinstance(item[key], str):
            raise _wrong(path, f"staging check {item['name']!r} {key}", item[key], "text")
    expect = item.get("expect")
    if isinstance(expect, (dict, list)):
        raise _wrong(path, f"staging check {item['name']!r} expect", expect, "one value")
    return StagingCheck(item["name"], item.get("sql"),
                        None if expect is None else str(expect), item.get("command"))
