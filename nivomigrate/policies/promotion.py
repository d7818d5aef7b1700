"""The promotion safety policy, `policies/promotion.yaml`, as an object (docs/safety.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from nivomigrate.errors import ConfigError
from nivomigrate.policies import load_policy, reject_unknown_keys

FILE_NAME = "promotion.yaml"
_KEYS = {"squawk_default", "squawk", "large_table", "max_lock_hold_ms", "max_rewrite_bytes",
         "staging_checks", "duration_window_s"}
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

    def squawk_level(self, rule: str) -> str:
        """Return `block`, `warn` or `off` for a squawk rule name."""
        return self.squawk_levels.get(rule, self.squawk_default)

    def lock_hold_limit_ms(self, table: str) -> int:
        """Return the longest allowed hold of a write-blocking lock on `table`, in ms."""
        return self.table_max_lock_hold_ms.get(table, self.max_lock_hold_ms)

    def duration_window(self, table: str) -> float | None:
        """Return the longest the pending statements may work on `table`, in seconds
        (projected onto production); None when no window is declared."""
        return self.table_duration_window_s.get(table, self.duration_window_s)


def load_promotion_policy(policies_dir: Path) -> PromotionPolicy:
    """Read `policies/promotion.yaml`; an absent file gives the defaults.

    Raises:
        ConfigError: an unknown key, level or malformed value.
    """
    path = policies_dir / FILE_NAME
    raw = load_policy(path, _KEYS)
    levels = {str(rule): _level(value, path) for rule, value in (raw.get("squawk") or {}).items()}
    large = raw.get("large_table") or {}
    reject_unknown_keys(large, {"rows", "bytes"}, f"{path} large_table")
    hold = raw.get("max_lock_hold_ms") or {}
    if isinstance(hold, int):
        hold = {"default": hold}
    reject_unknown_keys(hold, {"default", "tables"}, f"{path} max_lock_hold_ms")
    window = _duration_window(raw.get("duration_window_s"), path)
    defaults = PromotionPolicy()
    try:
        return PromotionPolicy(
            squawk_levels=levels,
            squawk_default=_level(raw.get("squawk_default", "warn"), path),
            large_table_rows=int(large.get("rows", defaults.large_table_rows)),
            large_table_bytes=int(large.get("bytes", defaults.large_table_bytes)),
            max_lock_hold_ms=int(hold.get("default", defaults.max_lock_hold_ms)),
            table_max_lock_hold_ms={str(k): int(v) for k, v in (hold.get("tables") or {}).items()},
            max_rewrite_bytes=int(raw.get("max_rewrite_bytes", defaults.max_rewrite_bytes)),
            staging_checks=tuple(_staging_check(item, path) for item in
                                 raw.get("staging_checks") or ()),
            duration_window_s=window.get("default"),
            table_duration_window_s={k: v for k, v in window.items() if k != "default"},
        )
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: {exc}", hint="numbers must be integers") from None


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
    expect = item.get("expect")
    return StagingCheck(str(item["name"]), item.get("sql"),
                        None if expect is None else str(expect), item.get("command"))
