"""Time `nivomigrate coverage` on the NivoStack schema (target: under 1 s).

Not a test: run by hand, against a server you may create databases on.

    python benchmarks/bench_coverage.py
    python benchmarks/bench_coverage.py --admin-url postgresql://postgres@127.0.0.1:5432/postgres

It builds the NivoStack schema with Prisma's own DDL (tests/fixtures/prisma/nivostack_prisma.sql,
39 tables, 149 indexes), then times `coverage_report` with the repository's
policies/hot_queries.yaml: connect, read the catalog, judge every hot query, PREPARE and EXPLAIN
each one's SQL, find redundant and unused indexes. Best and median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nivomigrate import shadow  # noqa: E402
from nivomigrate.config import Settings  # noqa: E402
from nivomigrate.db import Target  # noqa: E402
from nivomigrate.steps.coverage import coverage_report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    settings = Settings(root=REPO, versions_dir=REPO / "versions",
                        policies_dir=REPO / "policies", environments={})
    name = shadow.scratch_name("nivo_bench_coverage")
    url = shadow.create_database(args.admin_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute((REPO / "tests/fixtures/prisma/nivostack_prisma.sql").read_text())
        timings, report = [], None
        for _ in range(args.repeat):
            start = time.perf_counter()
            report = coverage_report(settings, Target("bench", url))
            timings.append(time.perf_counter() - start)
    finally:
        shadow.drop_database(args.admin_url, name)
    queries = report.data["hot_queries"]
    print(f"hot queries: {len(queries)}, gaps: {sum(not q['covered'] for q in queries)}, "
          f"redundant indexes: {len(report.data['redundant_indexes'])}")
    print(f"coverage: best {min(timings) * 1000:.0f} ms, "
          f"median {statistics.median(timings) * 1000:.0f} ms over {args.repeat} runs")


if __name__ == "__main__":
    main()
