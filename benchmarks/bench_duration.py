"""How far duration-budget's projection is from the actual time, per statement kind and ratio.

Not a test: run by hand, against a server you may create databases on.

    python benchmarks/bench_duration.py [--prod-rows 2000000] [--ratios 10 100]

A "prod" database with a table of `--prod-rows` rows and, for each ratio, a "staging" database
with the same table at prod-rows / ratio rows (same columns, same value distribution, analysed).
Each statement is timed on staging and on prod in a transaction that is rolled back (so every
statement meets the same table), the staging time projected onto prod's size by the check's
own code (`duration_budget.project_statement`, its law chosen from the statement's kind), and
the projection compared with prod's actual time: error = actual / projected (1.0 is exact,
within 0.5-2.0 is the issue's target). The databases are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import psycopg  # noqa: E402

from nivomigrate.checks.duration_budget import project_statement  # noqa: E402

TABLE = """
create table "T" (id bigint primary key, a int not null, b int, c int not null, txt text);
insert into "T" select g, g % 1000, g % 7919, g, md5(g::text) from generate_series(1, {rows}) g;
analyze "T";
"""
STATEMENTS = [
    'CREATE INDEX "T_b_idx" ON "T" ("b")',
    'ALTER TABLE "T" ALTER COLUMN "a" TYPE bigint',
    'ALTER TABLE "T" ADD CONSTRAINT "T_c_check" CHECK ("c" > 0)',
    'ALTER TABLE "T" ALTER COLUMN "b" SET NOT NULL',
    'UPDATE "T" SET "c" = "c" + 1',
    'ALTER TABLE "T" ADD COLUMN "d" integer',
]
_SIZE_SQL = """select reltuples::bigint, pg_total_relation_size(oid) from pg_class
where oid = '"T"'::regclass"""


def _database(admin_url: str, name: str, rows: int) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLE.replace("{rows}", str(int(rows))))
        conn.execute('select count(*) from "T"')  # warm the cache like a live table
    return url


def _timed(url: str, sql: str) -> float:
    with psycopg.connect(url) as conn:
        conn.execute("set statement_timeout = 0")
        start = time.perf_counter()
        conn.execute(sql)
        elapsed = time.perf_counter() - start
        conn.rollback()
    return elapsed


def _size(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        return conn.execute(_SIZE_SQL).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=os.environ.get(
        "NIVOMIGRATE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--prod-rows", type=int, default=2_000_000)
    parser.add_argument("--ratios", type=int, nargs="+", default=[10, 100])
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        print(f"load average at start: {' '.join(f.read().split()[:3])}")
    salt = uuid.uuid4().hex[:8]
    names = [f"nivo_bench_dur_prod_{salt}"] + [f"nivo_bench_dur_st{r}_{salt}" for r in args.ratios]
    try:
        prod = _database(args.admin_url, names[0], args.prod_rows)
        sizes = {"T": _size(prod)}  # before the timings: a rolled-back UPDATE leaves dead rows
        actual = {sql: _timed(prod, sql) for sql in STATEMENTS}
        print("| ratio (bytes) | statement | law | staging | projected | prod actual | error |")
        print("|---|---|---|---:|---:|---:|---:|")
        for ratio, name in zip(args.ratios, names[1:], strict=True):
            staging = _database(args.admin_url, name, args.prod_rows // ratio)
            rows, size = _size(staging)
            for sql in STATEMENTS:
                measured = _timed(staging, sql)
                projection = project_statement("bench", {"sql": sql, "duration_s": measured,
                                               "tables": [{"table": "T", "rows": rows,
                                                           "bytes": size}]}, sizes)
                print(f"| {ratio} ({projection.scale:.1f}) | `{sql}` | {projection.law} | "
                      f"{measured:.3f} s | {projection.projected_s:.3f} s | "
                      f"{actual[sql]:.3f} s | {actual[sql] / projection.projected_s:.2f} |")
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as conn:
            for name in names:
                conn.execute(f'drop database if exists "{name}"')
    with open("/proc/loadavg") as f:
        print(f"load average at end: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
