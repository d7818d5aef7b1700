"""The README's main job: `nivomigrate demo` walks plan, apply staging and promote prod."""

import re
import subprocess
import sys

import pytest

from nivomigrate import shadow
from tests import servers


@pytest.fixture
def own_demo_server():
    """Stop, after the test, the embedded server the demo starts, unless it ran before."""
    binaries = shadow.server_binaries()
    data = shadow.default_cache_dir() / f"pg{shadow.major_version_of(binaries)}" / "data" \
        if binaries else None
    was_running = data is not None and (data / "postmaster.pid").exists()
    yield was_running
    if data is not None and not was_running and (data / "postmaster.pid").exists():
        servers.run_as_server_user([binaries / "pg_ctl", "-D", data, "stop", "-m", "fast"])


def test_demo_tells_the_story_in_one_screen(tmp_path, own_demo_server):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NIVOMIGRATE_SHADOW_URL": ""}
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "demo"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    steps = [result.stdout.index(step) for step in (
        "$ nivomigrate plan all", "verdict: blocked", "$ nivomigrate apply staging",
        "$ nivomigrate promote prod", "$ nivomigrate diff staging prod",
        "-- staging and prod are equal")]
    assert steps == sorted(steps), result.stdout
    assert "[staging-run]" in result.stdout  # why prod's promotion is blocked, by name
    assert "Traceback" not in result.stderr
    # The story fits one screen (progress on stderr included).
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode == 0 and len(lines) < 70, "\n".join(lines)
    assert max(len(line) for line in lines) <= 160
    assert "site-packages" not in result.stdout and "/versions/" not in result.stdout
    # Nothing is left running: a server the demo started, the demo stops (one that ran
    # before it, another command's, it leaves alone).
    if not own_demo_server:
        state = shadow.own_server_state()
        assert state is None or not state.is_running
    assert result.stdout.rstrip().endswith("nivomigrate demo --keep (it keeps them and prints "
                                           "the commands).")


def test_demo_keep_prints_commands_that_work_when_pasted(tmp_path, own_demo_server):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NIVOMIGRATE_SHADOW_URL": ""}
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "demo", "--keep"],
                            cwd=tmp_path, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    pasted = result.stdout.split("To explore them, paste:\n", 1)[1].split("When done:")[0]
    script = pasted.replace("nivomigrate ", f"{sys.executable} -m nivomigrate ")
    assert "export STAGING_POSTGRES_URL_NON_POOLING=" in script and " cd " in " " + script

    try:
        explored = subprocess.run(["bash", "-ec", script], cwd=tmp_path, capture_output=True,
                                  text=True, env=env, timeout=300)
    finally:  # the kept databases are this test's: drop them
        for url in re.findall(r"=(postgresql://\S+)", pasted):
            server, name = url.rsplit("/", 1)
            shadow.drop_database(f"{server}/postgres", name)

    assert explored.returncode == 0, explored.stdout[-3000:] + explored.stderr[-2000:]
    assert "promote" in explored.stdout and "verdict: pass" in explored.stdout
