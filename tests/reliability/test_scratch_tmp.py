import os, subprocess, sys, time
from tests.steps.conftest import project, head_template  # noqa

def run(project, *args):
    env = {**os.environ, **project.environ, "CI": "true"}
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "nivomigrate", *args], cwd=project.root, env=env, capture_output=True, text=True)
    print(args, r.returncode, f"{time.monotonic()-t:.1f}s")
    print(r.stdout[-1500:]); print(r.stderr[-1500:])
    return r

def test_x(project):
    project.add_revision()
    run(project, "apply", "staging")
    run(project, "promote", "prod")
    run(project, "promote", "prod")
