"""A revision's own Python, watched: an exit, an exception or an endless loop becomes an error
naming the revision, never a silent exit or a hang.

A revision is a Python file nivomigrate imports and whose `upgrade()` it calls, offline to
render its SQL and online for the shadow builds and live revisions. `sys.exit()` inside it would
end nivomigrate with that code and nothing applied; `while True: pass` would hang a CI job
until its own limit. Here a SystemExit becomes `RevisionCodeError`, and a timer (SIGALRM, in the
main thread) ends Python that runs longer than `[timeouts] revision_python_s` without sending a
statement: the clock stops while a statement runs, which `statement_timeout` bounds.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_TIMEOUT_S = 60
_limit = {"seconds": DEFAULT_TIMEOUT_S}


class RevisionCodeError(Exception):
    """A revision's Python exited or ran too long (the message names the revision)."""


class _TimedOut(BaseException):
    """Raised by the timer inside the revision's code; a BaseException, so that the
    revision's own `except Exception` does not swallow it."""


def limit_python(seconds: int) -> None:
    """Set how long a revision's Python may run without sending a statement (the settings')."""
    _limit["seconds"] = seconds


@contextmanager
def watched(label: str, connection=None) -> Iterator[None]:
    """Run a revision's code (`label` names it: "revision 0003 (0003_x.py)").

    Args:
        connection: the SQLAlchemy connection it runs on, if any: the clock stops during its
            statements.

    Raises:
        RevisionCodeError: the code called sys.exit() (or raised SystemExit), or ran longer
            than the limit without a statement; its cause holds the traceback (the line).
    """
    seconds = _limit["seconds"]
    with _timer(seconds, connection) as timer:
        try:
            yield
        except SystemExit as exc:
            raise RevisionCodeError(f"{label} called sys.exit({exc.code!r}): a revision must "
                                    "not exit") from exc
        except _TimedOut as exc:
            raise RevisionCodeError(f"{label} ran Python for more than {seconds} s without "
                                    "a statement (an endless loop?)") from exc
        finally:
            timer.stop()


class _Timer:
    def __init__(self, seconds: float, enabled: bool):
        self.seconds, self.enabled = seconds, enabled

    def start(self, *_: object) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def stop(self, *_: object) -> None:
        if self.enabled:
            signal.setitimer(signal.ITIMER_REAL, 0)


@contextmanager
def _timer(seconds: float, connection) -> Iterator[_Timer]:
    """Yield a started timer raising _TimedOut after `seconds`, stopped around each statement
    on `connection`; a no-op outside the main thread (signals go to the main thread only)."""
    enabled = threading.current_thread() is threading.main_thread() and seconds > 0
    timer = _Timer(seconds, enabled)
    if not enabled:
        yield timer
        return
    from sqlalchemy import event

    def expire(*_: object) -> None:
        raise _TimedOut()

    previous = signal.signal(signal.SIGALRM, expire)
    hooks = (("before_cursor_execute", timer.stop), ("after_cursor_execute", timer.start))
    if connection is not None:
        for name, hook in hooks:
            event.listen(connection, name, hook)
    timer.start()
    try:
        yield timer
    finally:
        timer.stop()
        if connection is not None:
            for name, hook in hooks:
                event.remove(connection, name, hook)
        signal.signal(signal.SIGALRM, previous)
