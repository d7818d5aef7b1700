"""Errors that end a command, each with its exit code.

Exit codes (README): 0 success, 1 the gate blocks, 2 usage/configuration/refused connection,
3 drift or checksum, 4 unreachable database or refused login, 5 migration failed, 6 lock held,
70 a bug. When several apply, the first in the order 2, 4, 6, 5, 3, 1 wins.
"""

from __future__ import annotations

EXIT_PRIORITY = (2, 4, 6, 5, 3, 1)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM during a run (a KeyboardInterrupt, so that psycopg cancels the
    statement in progress); exit 128 + the signal's number: 130, 143."""

    def __init__(self, signal: str, exit_code: int):
        super().__init__(signal)
        self.signal = signal
        self.exit_code = exit_code


class NivoError(Exception):
    """A failure the user can act on: one line, a hint, an exit code."""

    exit_code = 70

    def __init__(self, message: str, *, hint: str | None = None, result: object = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.result = result


class ConfigError(NivoError):
    exit_code = 2


class RefusedConnectionError(ConfigError):
    """A URL or server that is not a direct, writable primary connection."""


class DriftError(NivoError):
    exit_code = 3


class DatabaseConnectionError(NivoError):
    exit_code = 4


class MigrationError(NivoError):
    exit_code = 5


class LockHeldError(NivoError):
    exit_code = 6


def first_exit_code(codes: list[int]) -> int:
    """Return the code that wins when several apply (2, 4, 6, 5, 3, 1), 0 when none."""
    for code in EXIT_PRIORITY:
        if code in codes:
            return code
    return max(codes, default=0)
