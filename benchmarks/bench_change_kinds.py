"""Every Prisma change kind on large tables: tests/steps/test_prisma_change_kinds.py with
`--rows` users and projects (the suite runs it on 3,000 to stay fast).

    python benchmarks/bench_change_kinds.py [--rows 100000]

Each step (schema.prisma or models edited, one command, a commit, the merge gate, apply
staging, promote prod, then diff/check/prisma check) must pass with no hand edit; pytest's
durations show what each step took. Needs the Prisma CLI (tools/prisma) and the test server.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    arguments = parser.parse_args()
    environ = {**os.environ, "NIVOMIGRATE_KINDS_ROWS": str(arguments.rows)}
    environ.setdefault("NIVOMIGRATE_TEST_DATABASE_URL",
                       "postgresql://postgres@127.0.0.1:5432/postgres")
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-n", "0",
                           "--durations=0", "tests/steps/test_prisma_change_kinds.py"],
                          cwd=REPO, env=environ).returncode


if __name__ == "__main__":
    sys.exit(main())
