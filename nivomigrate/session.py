"""Session settings: nivomigrate's own, the URL's own `options`, and where each came from.

Every setting is applied by SET on every session (and read back) by `db`, because a pooler may
drop the startup `options` (Supavisor ignores the `-c` form; PgBouncer drops it with
`ignore_startup_parameters = options`). The URL's options are libpq's (`-c name=value`,
`-cname=value`, `--name=value`, backslash escapes a space); nivomigrate's settings win only
for the names it owns.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nivomigrate.config import Timeouts

# One id per process: all the sessions of one run show it in application_name.
RUN_ID = secrets.token_hex(4)
APPLICATION_NAME = "nivomigrate"
URL_OPTIONS = "the URL's options"


@dataclass(frozen=True)
class SessionSettings:
    """Per-session limits; `None` leaves the server default."""

    lock_timeout_ms: int | None = None
    statement_timeout_ms: int | None = None
    connect_timeout_s: int = 10
    idle_in_transaction_timeout_ms: int | None = None
    check_interval_ms: int = 2000
    run_id: str = RUN_ID

    @property
    def application_name(self) -> str:
        return f"{APPLICATION_NAME}:{self.run_id}"

    @classmethod
    def from_timeouts(cls, timeouts: Timeouts) -> SessionSettings:
        return cls(timeouts.lock_timeout_ms, timeouts.statement_timeout_ms,
                   timeouts.connect_timeout_s, timeouts.idle_in_transaction_timeout_ms)


@dataclass(frozen=True)
class SessionSetting:
    """One setting of a session: its value and where it came from."""

    name: str
    value: str
    source: str
    from_url: bool = False

    def shown_as(self, value: str) -> SessionSetting:
        return replace(self, value=value)


def plan_settings(session: SessionSettings, params: dict[str, str], prisma: dict[str, str],
                  writes: bool) -> list[SessionSetting]:
    """Return the settings to SET on a session: the URL's, then nivomigrate's over them."""
    planned: dict[str, SessionSetting] = {}
    if prisma.get("schema"):
        planned["search_path"] = SessionSetting("search_path", prisma["schema"],
                                                "the URL's schema= parameter", True)
    for name, value in parse_options(params.get("options", "")):
        _refuse_too_short(name, value)
        planned[name] = SessionSetting(name, value, URL_OPTIONS, True)
    for setting in _own(session, writes):
        replaced = planned.get(setting.name)
        if replaced is not None and replaced.value != setting.value:
            setting = replace(setting, source=f"{setting.source} (over {replaced.source}: "
                                              f"{replaced.value})")
        planned[setting.name] = setting
    return list(planned.values())


# Timeouts a URL's options may set, and the least that lets nivomigrate's own queries finish
# (0 is no limit), as for [timeouts] in nivomigrate.toml.
_LEAST_MS = {"statement_timeout": 1000, "idle_in_transaction_session_timeout": 1000}
_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _refuse_too_short(name: str, value: str) -> None:
    """Raise ConfigError when the URL's options set a timeout too short for any query.

    A value the server would not understand is left for the server to refuse.
    """
    from nivomigrate.errors import ConfigError

    least = _LEAST_MS.get(name)
    text = value.strip()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = text[len(number):] or "ms"
    try:
        milliseconds = float(number) * _UNITS_MS[unit]
    except (ValueError, KeyError):
        return
    if least is not None and 0 < milliseconds < least:
        raise ConfigError(
            f"the URL's options set {name}={value}: shorter than {least} ms, no query of "
            "nivomigrate could finish", hint="remove it from the URL's options; nivomigrate "
            "sets its own timeouts from [timeouts] in nivomigrate.toml")


def _own(session: SessionSettings, writes: bool) -> list[SessionSetting]:
    own = [SessionSetting("application_name", session.application_name,
                          "nivomigrate (this run's id)")]
    for name, value, source in (
        ("lock_timeout", session.lock_timeout_ms, "[timeouts] lock_timeout_ms"),
        ("statement_timeout", session.statement_timeout_ms, "[timeouts] statement_timeout_ms"),
        ("idle_in_transaction_session_timeout", session.idle_in_transaction_timeout_ms,
         "[timeouts] idle_in_transaction_timeout_ms"),
        ("client_connection_check_interval", session.check_interval_ms,
         "nivomigrate (the server ends a killed run's session)"),
    ):
        if value is not None:
            own.append(SessionSetting(name, str(value), source))
    if not writes:
        own.append(SessionSetting("default_transaction_read_only", "on",
                                  "nivomigrate (a reading command)"))
    return own


def parse_options(text: str) -> list[tuple[str, str]]:
    """Return the (name, value) pairs of a libpq `options` string's `-c` and `--` settings.

    Other words (a Neon `endpoint=...`) are left out: they go only with the startup packet.
    """
    words = _words(text)
    pairs, index = [], 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            pair, index = words[index + 1], index + 2
        elif word.startswith("-c") or word.startswith("--"):
            pair, index = word[2:], index + 1
        else:
            index += 1
            continue
        name, equals, value = pair.partition("=")
        if equals and name:
            pairs.append((name.replace("-", "_").lower(), value))
    return pairs


def _words(text: str) -> list[str]:
    """Split as the server splits the startup options: on spaces, `\\` escaping the next."""
    words, current, escaped, started = [], [], False, False
    for ch in text:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = started = True
        elif ch.isspace():
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(ch)
            started = True
    if started:
        words.append("".join(current))
    return words
