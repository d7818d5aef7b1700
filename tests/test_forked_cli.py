"""The forked CLI the tests use behaves as `python -m nivomigrate` in a new process does."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests import forked_cli

REPO = Path(__file__).resolve().parents[1]


def _real(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nivomigrate", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args", [("status", "qa"), ("lint",), ("lint", "--format", "json"),
                                  ("--version",)])
def test_a_forked_run_prints_and_exits_as_a_new_process_does(tmp_path, args):
    env = {**os.environ, "STAGING_POSTGRES_URL_NON_POOLING": "postgresql://u:pw@[::1]:1/x"}
    for folder in (REPO, tmp_path):
        forked = forked_cli.run(*args, cwd=folder, env=env, timeout=120)
        real = _real(*args, cwd=folder, env=env)
        assert (forked.returncode, forked.stdout, forked.stderr) == \
            (real.returncode, real.stdout, real.stderr), (folder, args)


def test_a_run_past_its_timeout_is_killed():
    silent = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    env = {**os.environ, "STAGING_POSTGRES_URL_NON_POOLING":
           f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/staging"}
    with silent, pytest.raises(subprocess.TimeoutExpired):
        forked_cli.run("status", "staging", cwd=REPO, env=env, timeout=1)


def test_a_started_run_can_be_killed_like_a_popen():
    silent = socket.create_server(("127.0.0.1", 0))
    env = {**os.environ, "STAGING_POSTGRES_URL_NON_POOLING":
           f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/staging"}
    with silent:
        process = forked_cli.start("status", "staging", cwd=REPO, env=env)
        assert process.poll() is None
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
        stdout, _ = process.communicate()
    assert stdout == ""
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)
