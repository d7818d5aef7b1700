"""Promote an index + CHECK on a 2-million-row "Log" while the ingest API writes to it.

Not a test: run by hand, against a server you may create databases on.

    python benchmarks/bench_promote_under_load.py                 # 2,000,000 rows, ~6-8 min
    python benchmarks/bench_promote_under_load.py --rows 200000   # a quick try

The same change, "Log_projectId_level_timestamp_idx" on ("projectId", "level", "timestamp")
and "Log_level_check" CHECK (level IN (...)), is run three times, each on a fresh copy
(CREATE DATABASE ... TEMPLATE ... STRATEGY FILE_COPY) of one loaded production database:

  a. `nivomigrate promote prod`, after `nivomigrate apply staging` on a small staging database;
     the revision uses nivomigrate.ops.create_index_concurrently and a CHECK added NOT VALID,
     then VALIDATE, each in its own transaction (alembic's autocommit block);
  b. plain alembic (`nivomigrate.migrations.upgrade` with a bare SQLAlchemy engine, no
     timeouts) of the same change written naively: op.create_index, op.create_check_constraint;
  c. the safe SQL written by hand and run with psql: CREATE INDEX CONCURRENTLY; ADD CONSTRAINT
     ... NOT VALID; VALIDATE CONSTRAINT; each statement its own transaction.

The databases are built from the project's revisions (a temporary copy of versions/, whose
files carry a salt comment so that their shadow templates are this run's own), loaded with
one INSERT ... SELECT FROM generate_series, then ANALYZEd. During each migration `--threads`
writers (own autocommit connections, `statement_timeout` = `--insert-timeout-ms`, as an API
request would give up) insert Log rows at `--rate` rows/s in all, like the ingest API, and
record each insert's start, latency and error. Reported per run: failed inserts, the longest
insert (stall), p99 insert latency in the migration window (of the inserts that ran, and from
each insert's scheduled time, which also counts the inserts a stalled writer could not start),
inserts done against those scheduled, and the migration's wall time. Every database the run
creates is dropped at the end, also on failure (unless `--keep`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nivomigrate import shadow  # noqa: E402
from nivomigrate.db import with_database  # noqa: E402
from nivomigrate.engine.build import ensure_template  # noqa: E402

VENV_BIN = Path(sys.executable).parent
INDEX = "Log_projectId_level_timestamp_idx"
CHECK = "Log_level_check"
LEVELS = ("verbose", "debug", "info", "warn", "error", "fatal")
LEVELS_SQL = ", ".join(f"'{level}'" for level in LEVELS)
PROJECTS = 20

_HEADER = '''"""Index Log by project, level and time; constrain level ({kind}).

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None
'''
SAFE_REVISION = _HEADER.format(kind="online") + f'''
from nivomigrate.ops import create_index_concurrently


def upgrade() -> None:
    create_index_concurrently("{INDEX}", "Log", ['"projectId"', '"level"', '"timestamp"'])
    with op.get_context().autocommit_block():
        op.execute(\'ALTER TABLE "Log" ADD CONSTRAINT "{CHECK}" \'
                   "CHECK (level IN ({LEVELS_SQL})) NOT VALID")
        op.execute(\'ALTER TABLE "Log" VALIDATE CONSTRAINT "{CHECK}"\')


def downgrade() -> None:
    op.execute(\'ALTER TABLE "Log" DROP CONSTRAINT "{CHECK}"\')
    op.execute(\'DROP INDEX "{INDEX}"\')
'''
NAIVE_REVISION = _HEADER.format(kind="naive") + f'''

def upgrade() -> None:
    op.create_index("{INDEX}", "Log", ["projectId", "level", "timestamp"])
    op.create_check_constraint("{CHECK}", "Log", "level IN ({LEVELS_SQL})")


def downgrade() -> None:
    op.drop_constraint("{CHECK}", "Log")
    op.drop_index("{INDEX}")
'''
HAND_SQL = f"""\\timing on
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY "{INDEX}" ON "Log" ("projectId", "level", "timestamp");
ALTER TABLE "Log" ADD CONSTRAINT "{CHECK}" CHECK (level IN ({LEVELS_SQL})) NOT VALID;
ALTER TABLE "Log" VALIDATE CONSTRAINT "{CHECK}";
UPDATE alembic_version SET version_num = '0003';
"""
# Run as a subprocess, like `alembic upgrade head`: no lock_timeout, no statement_timeout.
NAIVE_RUNNER = """
import sys
from pathlib import Path
import sqlalchemy
from nivomigrate import migrations
engine = sqlalchemy.create_engine(sys.argv[1].replace("postgresql://", "postgresql+psycopg://", 1))
with engine.connect() as conn:
    migrations.upgrade(Path(sys.argv[2]), conn, "head")
    conn.commit()
"""
SEED_SQL = """
INSERT INTO "User" (id, email, password, "updatedAt")
VALUES ('bench_user', 'bench@example.com', 'x', now());
INSERT INTO "Project" (id, name, "apiKey", "userId", "updatedAt")
SELECT 'proj_' || p, 'Project ' || p, 'key_' || p, 'bench_user', now()
FROM generate_series(0, {projects} - 1) p;
"""
LOAD_SQL = """
INSERT INTO "Log" (id, "projectId", level, message, tag, "fileName", "lineNumber", "threadName",
                   "timestamp", "createdAt")
SELECT 'c' || lpad(g::text, 24, '0'), 'proj_' || (g %% {projects}),
       (array['debug', 'info', 'info', 'info', 'warn', 'error'])[1 + g %% 6],
       'request ' || g || ' finished in ' || (g %% 997) || ' ms', 'tag' || (g %% 50),
       'MainActivity.kt', g %% 400, 'main',
       now() - make_interval(secs => g), now() - make_interval(secs => g)
FROM generate_series(1, %s) g
"""
WRITE_SQL = """
INSERT INTO "Log" (id, "projectId", level, message, tag, "timestamp", "createdAt")
VALUES (%s, %s, %s, %s, 'ingest', now(), now())
"""


@dataclass
class Insert:
    scheduled: float
    started: float
    latency: float
    error: str | None


@dataclass
class Writers:
    """`threads` writers inserting `rate` rows/s in all, each on its own autocommit connection."""

    url: str
    rate: float
    threads: int
    timeout_ms: int
    inserts: list[Insert] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        connections = [psycopg.connect(self.url, autocommit=True, application_name="bench-ingest",
                                       options=f"-c statement_timeout={self.timeout_ms}")
                       for _ in range(self.threads)]
        origin = time.perf_counter() + 0.05
        for number, conn in enumerate(connections):
            worker = threading.Thread(target=self._run, args=(conn, number, origin), daemon=True)
            self._workers.append(worker)
            worker.start()

    def stop(self) -> None:
        self._stop.set()
        for worker in self._workers:
            worker.join()

    def _run(self, conn: psycopg.Connection, number: int, origin: float) -> None:
        interval = self.threads / self.rate
        scheduled = origin + number * interval / self.threads
        done: list[Insert] = []
        sequence = 0
        with conn:
            while not self._stop.is_set():
                pause = scheduled - time.perf_counter()
                if pause > 0 and self._stop.wait(pause):
                    break
                sequence += 1
                values = (f"w{number}_{uuid.uuid4().hex}", f"proj_{sequence % PROJECTS}",
                          ("info", "debug", "warn", "error")[sequence % 4],
                          f"ingest {number}/{sequence}")
                started = time.perf_counter()
                error = None
                try:
                    conn.execute(WRITE_SQL, values, prepare=True)
                except psycopg.Error as exc:
                    error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
                done.append(Insert(scheduled, started, time.perf_counter() - started, error))
                scheduled += interval
        with self._lock:
            self.inserts += done


@dataclass
class RunResult:
    name: str
    wall_s: float
    exit_code: int
    window: list[Insert]
    before: list[Insert]
    scheduled_in_window: int
    started: float
    late: list[float]            # completion - scheduled time, inserts scheduled in the window
    detail: str = ""

    @property
    def failed(self) -> int:
        return sum(1 for i in self.window if i.error)

    @property
    def stall_s(self) -> float:
        return max((i.latency for i in self.window), default=0.0)

    @property
    def p99_s(self) -> float:
        return percentile([i.latency for i in self.window], 0.99)

    @property
    def p99_late_s(self) -> float:
        return percentile(self.late, 0.99)

    def line(self) -> str:
        slowest = max(self.window, key=lambda i: i.latency, default=None)
        at = f"at +{slowest.started - self.started:.2f} s" if slowest else ""
        base_p99 = percentile([i.latency for i in self.before], 0.99)
        return (f"{self.name:<34} exit {self.exit_code:>2}  wall {self.wall_s:6.2f} s  "
                f"inserts {len(self.window):>5}/{self.scheduled_in_window:<5} "
                f"failed {self.failed:>3}  max {self.stall_s * 1000:7.1f} ms {at:<10} "
                f"p99 {self.p99_s * 1000:7.1f} ms  p99 from schedule "
                f"{self.p99_late_s * 1000:7.1f} ms  (before: p99 {base_p99 * 1000:.1f} ms)")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


class Bench:
    """Databases and files of one run, all removed by `close()`."""

    def __init__(self, admin_url: str, keep: bool):
        self.admin_url, self.keep = admin_url, keep
        self.tmp = Path(tempfile.mkdtemp(prefix="nivo_bench_load_"))
        self.databases: list[str] = []
        self.salt = uuid.uuid4().hex

    def project(self, name: str, revision: str) -> Path:
        """A project copy whose revisions are the repo's (salted) plus `revision` as 0003."""
        root = self.tmp / name
        root.mkdir()
        versions = root / "versions"
        shutil.copytree(REPO / "versions", versions, ignore=shutil.ignore_patterns("__pycache__"))
        for path in versions.glob("*.py"):
            path.write_text(path.read_text() + f"\n# bench salt {self.salt}\n")
        (versions / "0003_log_level.py").write_text(revision + f"\n# bench salt {self.salt}\n")
        shutil.copytree(REPO / "policies", root / "policies")
        shutil.copy(REPO / "nivomigrate.toml", root / "nivomigrate.toml")
        return root

    def create(self, prefix: str, template: str | None = None, file_copy: bool = False) -> str:
        name = shadow.scratch_name(prefix)
        self.databases.append(name)
        statement = sql.SQL("create database {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" template {}").format(sql.Identifier(template))
        if file_copy:
            statement += sql.SQL(" strategy file_copy")
        for _ in range(20):  # a template someone is connected to cannot be copied
            try:
                with psycopg.connect(self.admin_url, autocommit=True) as conn:
                    conn.execute(statement)
                break
            except psycopg.errors.ObjectInUse:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"template {template} stayed in use")
        return name

    def url(self, name: str) -> str:
        return with_database(self.admin_url, name)

    def drop(self, name: str) -> None:
        if not self.keep:
            shadow.drop_database(self.admin_url, name)

    def close(self, projects: list[Path]) -> None:
        if self.keep:
            print(f"kept: {', '.join(self.databases)} and {self.tmp}")
            return
        from nivomigrate.engine.build import chain_template_names

        templates = set()
        for root in projects:
            templates |= chain_template_names(root / "versions",
                                              role=shadow.login_role(self.admin_url))
        made = [name for name in sorted(templates) if shadow.database_exists(self.admin_url, name)]
        for name in self.databases + made:
            shadow.drop_database(self.admin_url, name)
        print(f"dropped {len(self.databases)} databases and this run's templates: "
              f"{', '.join(made)}")
        shutil.rmtree(self.tmp, ignore_errors=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def seed(url: str, rows: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SEED_SQL.format(projects=PROJECTS))
        conn.execute(LOAD_SQL.format(projects=PROJECTS), (rows,))
        conn.execute('VACUUM ANALYZE "Log"')
    return time.perf_counter() - started


def env_for(bench: Bench, staging: str, prod: str) -> dict[str, str]:
    environ = dict(os.environ)
    environ.update({"STAGING_POSTGRES_URL_NON_POOLING": bench.url(staging),
                    "PROD_POSTGRES_URL_NON_POOLING": bench.url(prod),
                    "NIVOMIGRATE_SHADOW_URL": bench.admin_url, "USER": "bench"})
    return environ


def under_load(name: str, url: str, command: list[str], args, cwd: Path,
               environ: dict[str, str] | None = None) -> tuple[RunResult, str]:
    """Run `command` while the writers insert into `url`; return the result and its stdout."""
    writers = Writers(url, args.rate, args.threads, args.insert_timeout_ms)
    writers.start()
    time.sleep(args.settle_s)
    started = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, env=environ, capture_output=True, text=True)
    ended = time.perf_counter()
    time.sleep(args.settle_s)
    writers.stop()
    if process.returncode != 0:
        print(f"  {name}: exit {process.returncode}\n{process.stderr[-3000:]}\n"
              f"{process.stdout[-3000:]}")
    window = [i for i in writers.inserts if i.started <= ended and i.started + i.latency >= started]
    before = [i for i in writers.inserts if i.started + i.latency < started]
    late = [i.started + i.latency - i.scheduled for i in writers.inserts
            if started <= i.scheduled <= ended]
    return RunResult(name, ended - started, process.returncode, window, before, len(late),
                     started, late), process.stdout


def verify_done(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as conn:
        index = conn.execute("select indisvalid from pg_index where indexrelid = "
                             "to_regclass(%s)", (f'"{INDEX}"',)).fetchone()
        check = conn.execute("select convalidated from pg_constraint where conname = %s",
                             (CHECK,)).fetchone()
        version = conn.execute("select version_num from alembic_version").fetchone()
    return (f"index valid: {index and index[0]}, check validated: {check and check[0]}, "
            f"revision: {version and version[0]}")


def print_apply(stdout: str, stderr: str) -> None:
    """Print what `apply staging --format json` found, and the footprint it measured."""
    try:
        report = json.loads(stdout)
    except ValueError:
        print(stdout[-4000:], stderr[-2000:])
        return
    counts: dict[str, int] = {}
    for finding in report["findings"]:
        counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
        if finding["severity"] == "error" or finding["check"] == "lock-footprint":
            print(f"    {finding['severity']} {finding['check']}: {finding['message']}")
    print(f"    findings: {counts}")
    for revision in report["data"].get("footprint", []):
        for statement in revision["statements"]:
            locks = ", ".join(f"{lock['mode']} on {lock['relation']}"
                              for lock in statement["locks"])
            print(f"    measured {statement['duration_s'] * 1000:7.1f} ms  {locks}: "
                  f"{statement['sql'][:70]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=os.environ.get(
        "NIVOMIGRATE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--staging-rows", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200, help="inserts per second, in all")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--insert-timeout-ms", type=int, default=5000)
    parser.add_argument("--settle-s", type=float, default=3.0,
                        help="writers run this long before and after each migration")
    parser.add_argument("--runs", default="abc", help="which of a, b, c to run")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the runs, interleaved")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}; {os.cpu_count()} cores")
    bench = Bench(args.admin_url, args.keep)
    safe = bench.project("safe", SAFE_REVISION)
    naive = bench.project("naive", NAIVE_REVISION)
    results: list[RunResult] = []
    try:
        started = time.perf_counter()
        template = ensure_template(args.admin_url, safe / "versions", "0002")
        print(f"template at 0002 from the revisions: {time.perf_counter() - started:.1f} s")
        loaded = bench.create("nivo_bench_load_src", template)
        seconds = seed(bench.url(loaded), args.rows)
        print(f"loaded {args.rows:,} Log rows + VACUUM ANALYZE: {seconds:.1f} s")
        staging = bench.create("nivo_bench_load_staging", template)
        seed(bench.url(staging), args.staging_rows)
        with psycopg.connect(bench.url(loaded)) as conn:
            size = conn.execute("select pg_size_pretty(pg_total_relation_size('\"Log\"'))"
                                ).fetchone()[0]
        print(f'prod "Log": {size}; staging "Log": {args.staging_rows:,} rows')
        nivomigrate = str(VENV_BIN / "nivomigrate")
        rounds = [run for _ in range(args.repeat) for run in args.runs]
        for number, run in enumerate(rounds):
            copy_started = time.perf_counter()
            prod = bench.create(f"nivo_bench_load_{run}", loaded, file_copy=True)
            print(f"run {run}: fresh copy of prod in {time.perf_counter() - copy_started:.1f} s "
                  f"(load average {load_average()})")
            url = bench.url(prod)
            if run == "a":
                environ = env_for(bench, staging, prod)
                if "a" not in rounds[:number]:  # staging's passed run serves every round
                    applied = subprocess.run(
                        [nivomigrate, "apply", "staging", "--format", "json"],
                        cwd=safe, env=environ, capture_output=True, text=True)
                    print(f"  apply staging: exit {applied.returncode}")
                    print_apply(applied.stdout, applied.stderr)
                result, out = under_load("a. nivomigrate promote prod", url,
                                         [nivomigrate, "promote", "prod", "--format", "json"],
                                         args, safe, environ)
                try:
                    report = json.loads(out)
                    result.detail = "revision time " + ", ".join(
                        f"{f['revision']}: {f['duration_s']:.2f} s"
                        for f in report["data"].get("footprint", []))
                except (ValueError, KeyError):
                    pass
            elif run == "b":
                runner = bench.tmp / "naive_upgrade.py"
                runner.write_text(NAIVE_RUNNER)
                result, _ = under_load("b. alembic upgrade (naive ops)", url,
                                       [sys.executable, str(runner), url,
                                        str(naive / "versions")], args, REPO)
            else:
                script = bench.tmp / "hand.sql"
                script.write_text(HAND_SQL)
                psql = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
                result, out = under_load("c. psql, hand-written online SQL", url,
                                         [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url,
                                          "-f", str(script)], args, REPO)
                statements = ("SET", "CREATE INDEX", "ADD NOT VALID", "VALIDATE", "UPDATE")
                result.detail = "psql " + ", ".join(
                    f"{name} {line.split()[1]} ms" for name, line in
                    zip(statements, [t for t in out.splitlines() if t.startswith("Time:")],
                        strict=False))
            result.detail = (result.detail + "; " if result.detail else "") + verify_done(url)
            results.append(result)
            print("  " + result.line())
            print(f"  {result.detail}")
            errors = sorted({i.error for i in result.window if i.error})
            for error in errors[:3]:
                print(f"  insert error: {error}")
            bench.drop(prod)
    finally:
        bench.close([safe, naive])
    print(f"\nload average at end: {load_average()}")
    for result in results:
        print(result.line())
    summarize(results)


def summarize(results: list[RunResult]) -> None:
    by_run: dict[str, list[RunResult]] = {}
    for result in results:
        by_run.setdefault(result.name[0], []).append(result)
    print()
    for runs in by_run.values():
        stalls = [r.stall_s * 1000 for r in runs]
        print(f"{runs[0].name:<34} over {len(runs)}: failed {sum(r.failed for r in runs)}, "
              f"longest stall median {statistics.median(stalls):.0f} ms / "
              f"worst {max(stalls):.0f} ms, "
              f"p99 median {statistics.median(r.p99_s * 1000 for r in runs):.0f} ms "
              f"(from schedule {statistics.median(r.p99_late_s * 1000 for r in runs):.0f} ms), "
              f"wall median {statistics.median(r.wall_s for r in runs):.2f} s")
    if "a" in by_run and "c" in by_run:
        ours = [r.stall_s for r in by_run["a"]]
        hand = [r.stall_s for r in by_run["c"]]
        ratio = statistics.median(ours) / statistics.median(hand)
        worst = max(ours) / max(hand)
        failed = sum(r.failed for r in by_run["a"])
        print(f"target (a): no failed insert: {failed == 0}; longest stall "
              f"{max(ours) * 1000:.0f} ms < 200 ms: {max(ours) < 0.2}; within 1.5x of (c): "
              f"median {ratio:.2f}x, worst {worst:.2f}x: {ratio <= 1.5}")


if __name__ == "__main__":
    main()
