"""The README's main job: `nivomigrate demo` walks plan, apply staging and promote prod."""

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
    yield
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
    assert result.returncode == 0 and len(lines) < 60, "\n".join(lines)
    assert max(len(line) for line in lines) <= 160
