"""The README's main job: `nivomigrate demo` walks plan, apply staging and promote prod."""

import subprocess
import sys


def test_demo_runs_the_workflow_end_to_end(tmp_path, canary_admin_url):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NIVOMIGRATE_SHADOW_URL": ""}
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "demo"], cwd=tmp_path,
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    for step in ("$ nivomigrate plan all", "$ nivomigrate apply staging",
                 "$ nivomigrate promote prod", "$ nivomigrate history"):
        assert step in result.stdout
    assert "-- staging and prod are equal" in result.stdout
    assert "Traceback" not in result.stderr
