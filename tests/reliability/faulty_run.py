"""Run nivomigrate with a fault at one step boundary (the fault-injection tests and benchmark).

    NIVO_TEST_FAULT=<moment>:<revision>:<step>[:<signal>] python faulty_run.py promote prod

<moment> is one of the runner's boundaries (`runner.BOUNDARY_HOOKS`): per step before-execute,
after-execute, after-record; per revision after-version (step 0); per run before-verify,
after-verify, after-finish (revision `*`, step 0). The process sends itself <signal> (SIGKILL
unless named) when the run reaches it. Instead of a
signal, HOLD opens a transaction on prod that writes "Log" and keeps it open, so the step that
comes next (CREATE INDEX CONCURRENTLY) waits inside its build. nivomigrate's code
has no fault switch: this script registers the hook on `runner.BOUNDARY_HOOKS`, then runs the
command line as `python -m nivomigrate` does.
"""

import os
import signal

from nivomigrate.engine import runner

_held = []


def _hook(moment: str, revision: str, step: int, kind: str) -> None:
    wanted, wanted_revision, wanted_step, *rest = os.environ["NIVO_TEST_FAULT"].split(":")
    if (moment, step) != (wanted, int(wanted_step)) or wanted_revision not in ("*", revision):
        return
    if rest == ["HOLD"]:
        import psycopg

        _held.append(psycopg.connect(os.environ["PROD_POSTGRES_URL_NON_POOLING"]))
        _held[-1].execute('LOCK TABLE "Log" IN ROW EXCLUSIVE MODE')
        return
    os.kill(os.getpid(), getattr(signal, rest[0]) if rest else signal.SIGKILL)


if os.environ.get("NIVO_TEST_FAULT"):
    runner.BOUNDARY_HOOKS.append(_hook)

from nivomigrate.cli import main  # noqa: E402

main()
