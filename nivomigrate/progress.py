"""Progress of long steps: a spinner on a terminal, plain lines in CI logs and pipes."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

_defaults = {"quiet": False}


def set_quiet(quiet: bool) -> None:
    """Make every Progress made without an explicit `quiet` silent (`--quiet`)."""
    _defaults["quiet"] = quiet


class Progress:
    """Reports steps on stderr; silent when `quiet` (default: `--quiet`)."""

    def __init__(self, quiet: bool | None = None, stream=None):
        self.quiet = _defaults["quiet"] if quiet is None else quiet
        self.stream = stream or sys.stderr
        self.is_terminal = hasattr(self.stream, "isatty") and self.stream.isatty()

    @contextmanager
    def step(self, message: str) -> Iterator[None]:
        """Show `message` while the block runs, then how long it took."""
        if self.quiet:
            yield
            return
        from nivomigrate.redaction import redact

        message = redact(message)
        started = time.monotonic()
        if self.is_terminal:
            from rich.console import Console

            console = Console(file=self.stream, highlight=False)
            with console.status(message):
                yield
            console.print(f"[green]✓[/green] {message} ({time.monotonic() - started:.1f}s)")
        else:
            print(f"- {message} ...", file=self.stream, flush=True)
            yield
            print(f"  done in {time.monotonic() - started:.1f}s", file=self.stream, flush=True)

    def say(self, message: str) -> None:
        if not self.quiet:
            from nivomigrate.redaction import redact

            print(redact(message), file=self.stream, flush=True)
