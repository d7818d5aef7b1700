"""Kill `apply staging` and `promote prod` inside a five-step revision, then re-run: recovered?

Not a test: run by hand, against a server you may create databases on.

    python benchmarks/bench_resume.py                      # 200,000 rows, 30 kills, ~15 min
    python benchmarks/bench_resume.py --rows 50000 --kills 5

The revision (0003, on a "Log" of `--rows` rows) has five steps: ADD COLUMN + backfill (one
transaction), CREATE INDEX CONCURRENTLY, ADD CONSTRAINT ... NOT VALID, VALIDATE CONSTRAINT (each
outside a transaction), CREATE TABLE. Each trial starts from fresh copies of the databases
(staging at head, or staging after its apply and prod at head for a promotion), starts the
command, waits until its run is recorded, sleeps a random time drawn from the revision's
measured duration, and sends SIGKILL or SIGTERM (chosen at random). Then it runs the same
command once more, plainly, and checks: exit 0, the revision applied, no INVALID index, no NOT
VALID constraint, each step once in the ledger, and (promote) prod's schema equal to staging's.

Then, once per session of the tool (the run's connection, its monitoring connection, and for a
promotion the session holding staging's lock), the same with `pg_terminate_backend` of that
session inside the revision instead of a signal; and a lock-timeout retry mid-revision: a
session holds ACCESS SHARE on "Log" when step 3 comes, for longer than one lock timeout and
less than all retries; the run must pass with step 3 tried more than once and step 1 once.
Every database is dropped at the end (unless `--keep`).

`--targeted` instead kills at every boundary once, SIGKILL at a named moment (through
tests/reliability/faulty_run.py, which hooks the runner's boundaries): before executing, after
executing and after recording each of the five steps, after alembic_version moved, before and
after the verification, after the run is recorded. For `apply staging` the plain re-run is
followed by `promote prod` on a fresh prod, which must pass too.

    python benchmarks/bench_resume.py --targeted --rows 20000
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_promote_under_load import Bench, load_average, seed  # noqa: E402

from nivomigrate.engine.build import ensure_template  # noqa: E402
from nivomigrate.snapshot import take_snapshot  # noqa: E402

VENV_BIN = Path(sys.executable).parent
FAULTY_RUN = Path(__file__).resolve().parents[1] / "tests" / "reliability" / "faulty_run.py"
TARGETS = ([f"{moment}:0003:{step}" for step in range(1, 6)
            for moment in ("before-execute", "after-execute", "after-record")]
           + ["after-version:0003:0", "before-verify:*:0", "after-verify:*:0",
              "after-finish:*:0"])
REVISION = '''"""Five steps on Log: column, backfill, index, NOT VALID + VALIDATE, table."""
import sqlalchemy as sa
from alembic import op

from nivomigrate.ops import create_index_concurrently

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("Log", sa.Column("resumeTag", sa.Text))
    op.execute('UPDATE "Log" SET "resumeTag" = level')
    create_index_concurrently("Log_resumeTag_idx", "Log", ['"resumeTag"'])
    with op.get_context().autocommit_block():
        op.execute('ALTER TABLE "Log" ADD CONSTRAINT "Log_resumeTag_check" '
                   'CHECK (length("resumeTag") < 100) NOT VALID')
        op.execute('ALTER TABLE "Log" VALIDATE CONSTRAINT "Log_resumeTag_check"')
    op.create_table("ResumeMarker", sa.Column("id", sa.BigInteger, primary_key=True))


def downgrade() -> None:
    pass
'''
CHECK_SQL = """
select (select version_num from alembic_version),
       (select count(*) from pg_index where not indisvalid or not indisready),
       (select count(*) from pg_constraint where not convalidated),
       (select array_agg(step order by step)::text from nivomigrate.steps
        where revision = '0003' and status = 'applied'),
       (select max(attempts) filter (where step = 1) from nivomigrate.steps
        where revision = '0003'),
       (select max(attempts) filter (where step = 3) from nivomigrate.steps
        where revision = '0003')
"""


@dataclass
class Trial:
    command: str
    fault: str
    delay_s: float
    first_exit: int
    landed: str
    rerun_exit: int
    recovered: bool
    detail: str

    def line(self) -> str:
        return (f"{self.command:8} {self.fault:28} +{self.delay_s:5.2f}s  exit {self.first_exit:4}"
                f"  {self.landed:22} re-run {self.rerun_exit}  "
                f"{'recovered' if self.recovered else 'NOT RECOVERED: ' + self.detail}")


class Setup:
    """The loaded templates and the project; fresh copies per trial."""

    def __init__(self, bench: Bench, args):
        self.bench, self.args = bench, args
        self.project = bench.project("resume", REVISION)
        template = ensure_template(args.admin_url, self.project / "versions", "0002")
        self.loaded = bench.create("nivo_bench_resume_src", template)
        seconds = seed(bench.url(self.loaded), args.rows)
        print(f"loaded {args.rows:,} Log rows: {seconds:.1f} s")
        self.applied = bench.create("nivo_bench_resume_applied", self.loaded, file_copy=True)
        self.windows = {"apply": self.calibrate(self.applied, self.loaded, self.applied)}
        prod = bench.create("nivo_bench_resume_p", self.loaded, file_copy=True)
        self.windows["promote"] = self.calibrate(self.applied, prod, prod)
        _drop(self, prod, prod)
        for command, marks in self.windows.items():
            print(f"{command} (calibration): steps 1-5 recorded at "
                  + ", ".join(f"{mark:.1f}" for mark in marks) + " s after the run")

    def calibrate(self, staging: str, prod: str, changed: str) -> list[float]:
        """Run the command that changes `changed` once; return the seconds from its run being
        recorded to each of the five steps recorded (the last: alembic_version at 0003)."""
        url = self.bench.url(changed)
        args = ("apply", "staging") if changed == staging else ("promote", "prod")
        process = self.start(staging, prod, *args)
        assert _wait_for_run(url, process), "the calibration run ended early"
        started, marks = time.perf_counter(), []
        with psycopg.connect(url, autocommit=True) as conn:
            while len(marks) < 5 and process.poll() is None:
                count = conn.execute("select count(*) from pg_tables where schemaname = "
                                     "'nivomigrate' and tablename = 'steps'").fetchone()[0] and \
                    conn.execute("select count(*) from nivomigrate.steps where revision = "
                                 "'0003' and status = 'applied'").fetchone()[0]
                marks += [time.perf_counter() - started] * (count - len(marks))
                time.sleep(0.01)
        _, stderr = process.communicate()
        assert process.returncode == 0 and len(marks) == 5, stderr
        return marks

    def environ(self, staging: str, prod: str) -> dict[str, str]:
        environ = dict(os.environ)
        environ.update({"STAGING_POSTGRES_URL_NON_POOLING": self.bench.url(staging),
                        "PROD_POSTGRES_URL_NON_POOLING": self.bench.url(prod),
                        "NIVOMIGRATE_SHADOW_URL": self.args.admin_url, "USER": "bench"})
        return environ

    def run(self, staging: str, prod: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(VENV_BIN / "nivomigrate"), *args], cwd=self.project,
                              env=self.environ(staging, prod), capture_output=True, text=True)

    def start(self, staging: str, prod: str, *args: str) -> subprocess.Popen:
        return subprocess.Popen([str(VENV_BIN / "nivomigrate"), *args], cwd=self.project,
                                env=self.environ(staging, prod), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def databases(self, command: str) -> tuple[str, str, str]:
        """Fresh (staging, prod, the database the command changes)."""
        if command == "apply":
            staging = self.bench.create("nivo_bench_resume_s", self.loaded, file_copy=True)
            return staging, staging, staging
        staging = self.bench.create("nivo_bench_resume_s", self.applied, file_copy=True)
        prod = self.bench.create("nivo_bench_resume_p", self.loaded, file_copy=True)
        return staging, prod, prod


def _delay(marks: list[float], rng: random.Random, spread: bool) -> float:
    """A random time inside the revision: uniform over its duration, or (`spread`) inside a
    step drawn at random, so that every step is hit, not mostly the longest."""
    if not spread:
        return rng.uniform(0, marks[-1])
    step = rng.randrange(5)
    return rng.uniform(marks[step - 1] if step else 0, marks[step])


def _args(command: str) -> tuple[str, ...]:
    return ("apply", "staging") if command == "apply" else ("promote", "prod")


def _wait_for_run(url: str, process: subprocess.Popen, timeout: float = 120) -> bool:
    """Wait until the run is recorded running (its steps come next); False if it ended."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline and process.poll() is None:
            if conn.execute("select to_regclass('nivomigrate.runs') is not null").fetchone()[0]:
                if conn.execute("select 1 from nivomigrate.runs where status = 'running'"
                                ).fetchone():
                    return True
            time.sleep(0.02)
    return False


def _where(url: str) -> str:
    with psycopg.connect(url) as conn:
        version = conn.execute("select version_num from alembic_version").fetchone()[0]
        if version == "0003":
            return "after the revision"
        applied = conn.execute("select count(*) from nivomigrate.steps where revision = '0003'"
                               " and status = 'applied'").fetchone()[0]
        return f"inside, {applied} of 5 recorded"


def _check(setup: Setup, staging: str, prod: str, command: str, rerun) -> tuple[bool, str]:
    url = setup.bench.url(prod)
    if rerun.returncode != 0:
        return False, (rerun.stderr.strip().splitlines() or ["?"])[-1]
    with psycopg.connect(url) as conn:
        version, invalid, not_valid, steps, _, _ = conn.execute(CHECK_SQL).fetchone()
    problems = []
    if version != "0003":
        problems.append(f"at {version}")
    if invalid or not_valid:
        problems.append(f"{invalid} INVALID, {not_valid} NOT VALID")
    if steps != "{1,2,3,4,5}":
        problems.append(f"steps {steps}")
    if command == "promote":
        with psycopg.connect(setup.bench.url(staging)) as s, psycopg.connect(url) as p:
            if take_snapshot(s).fingerprint != take_snapshot(p).fingerprint:
                problems.append("prod differs from staging")
    return not problems, "; ".join(problems)


def signal_trial(setup: Setup, command: str, rng: random.Random) -> Trial:
    staging, prod, changed = setup.databases(command)
    fault = rng.choice(["SIGKILL", "SIGTERM"])
    delay = _delay(setup.windows[command], rng, setup.args.spread)
    process = setup.start(staging, prod, *_args(command))
    if _wait_for_run(setup.bench.url(changed), process):
        time.sleep(delay)
    if process.poll() is None:
        process.send_signal(9 if fault == "SIGKILL" else 15)
    _, stderr = process.communicate()
    if process.returncode not in (-9, 0, 143):
        print(f"  the interrupted run's stderr: {stderr.strip()[-600:]}")
    landed = _where(setup.bench.url(changed))
    rerun = setup.run(staging, prod, *_args(command))
    ok, detail = _check(setup, staging, prod, command, rerun)
    _drop(setup, staging, prod)
    return Trial(command, fault, delay, process.returncode, landed, rerun.returncode, ok, detail)


def targeted_trial(setup: Setup, command: str, target: str) -> Trial:
    """SIGKILL at the boundary `target` (faulty_run.py), a plain re-run, and for `apply` then
    `promote prod` on a fresh prod: all must pass."""
    staging, prod, changed = setup.databases(command)
    if command == "apply":
        prod = setup.bench.create("nivo_bench_resume_p", setup.loaded, file_copy=True)
    killed = subprocess.run([sys.executable, str(FAULTY_RUN), *_args(command)],
                            cwd=setup.project, capture_output=True, text=True,
                            env={**setup.environ(staging, prod), "NIVO_TEST_FAULT": target})
    landed = _where(setup.bench.url(changed))
    rerun = setup.run(staging, prod, *_args(command))
    ok, detail = _check(setup, staging, changed, command, rerun)
    if ok and command == "apply":
        promoted = setup.run(staging, prod, "promote", "prod")
        ok, detail = _check(setup, staging, prod, "promote", promoted)
        detail = f"then promote prod: {detail}" if detail else detail
    _drop(setup, staging, prod)
    return Trial(command, target, 0, killed.returncode, landed, rerun.returncode, ok, detail)


def terminate_trial(setup: Setup, command: str, which: str, rng: random.Random) -> Trial:
    """pg_terminate_backend of one of the tool's sessions inside the revision."""
    staging, prod, changed = setup.databases(command)
    delay = _delay(setup.windows[command], rng, True)
    process = setup.start(staging, prod, *_args(command))
    ended = []
    if _wait_for_run(setup.bench.url(changed), process):
        time.sleep(delay)
        ended = _terminate(setup, staging if which == "staging lock" else changed, which)
    process.communicate()
    landed = _where(setup.bench.url(changed))
    rerun = setup.run(staging, prod, *_args(command))
    ok, detail = _check(setup, staging, prod, command, rerun)
    _drop(setup, staging, prod)
    return Trial(command, f"terminate {which} ({len(ended)})", delay, process.returncode, landed,
                 rerun.returncode, ok, detail)


_SESSIONS = {
    # The run's connection holds the run lock; the monitor is the other session of the run.
    "run session": "a.application_name like 'nivomigrate run %%' and exists (select 1 from "
                   "pg_locks l where l.pid = a.pid and l.locktype = 'advisory')",
    "monitor session": "a.application_name like 'nivomigrate run %%' and not exists (select 1 "
                       "from pg_locks l where l.pid = a.pid and l.locktype = 'advisory')",
    "staging lock": "a.application_name = 'nivomigrate' and exists (select 1 from pg_locks l "
                    "where l.pid = a.pid and l.locktype = 'advisory')",
}


def _terminate(setup: Setup, database: str, which: str) -> list[int]:
    with psycopg.connect(setup.bench.url(database), autocommit=True) as conn:
        rows = conn.execute(
            "select a.pid from pg_stat_activity a where a.datname = current_database() and "
            + _SESSIONS[which]).fetchall()
        for (pid,) in rows:
            conn.execute("select pg_terminate_backend(%s)", (pid,))
    return [pid for (pid,) in rows]


def lock_retry_trial(setup: Setup, command: str) -> Trial:
    """A session holds ACCESS SHARE on "Log" when step 3 (ADD CONSTRAINT, ACCESS EXCLUSIVE)
    comes, for 2.5 lock timeouts; the step is retried, never the revision from the top."""
    staging, prod, changed = setup.databases(command)
    toml = setup.project / "nivomigrate.toml"
    original = toml.read_text()
    toml.write_text(re.sub(r"lock_retries = \d+", "lock_retries = 6",
                           re.sub(r"lock_timeout_ms = \d+", "lock_timeout_ms = 400", original)))
    try:
        holder = threading.Thread(target=_hold_at_step_3, args=(setup.bench.url(changed),))
        holder.start()
        result = setup.run(staging, prod, *_args(command))
        holder.join()
    finally:
        toml.write_text(original)
    ok, detail = _check(setup, staging, prod, command, result)
    with psycopg.connect(setup.bench.url(changed)) as conn:
        *_, step1, step3 = conn.execute(CHECK_SQL).fetchone()
    retried = (step3 or 0) > 1 and step1 == 1
    if not retried:
        ok, detail = False, f"{detail}; attempts step 1 = {step1}, step 3 = {step3}"
    _drop(setup, staging, prod)
    return Trial(command, f"lock timeout at step 3 (x{step3})", 0, result.returncode,
                 "retried inside", result.returncode, ok, detail)


def _hold_at_step_3(url: str) -> None:
    """Take ACCESS SHARE on "Log" while step 2 (the concurrent build, which does not wait for
    an idle transaction) runs, and keep it 1 s after step 2 is recorded: step 3 meets it."""
    with psycopg.connect(url, autocommit=True) as watch, psycopg.connect(url) as holder:
        _wait_for_step(watch, "step = 2")
        holder.execute('LOCK TABLE "Log" IN ACCESS SHARE MODE')
        _wait_for_step(watch, "step = 2 and status = 'applied'")
        time.sleep(1.0)
        holder.rollback()


def _wait_for_step(conn: psycopg.Connection, condition: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if conn.execute("select to_regclass('nivomigrate.steps') is not null").fetchone()[0] \
                and conn.execute("select 1 from nivomigrate.steps where revision = '0003' and "
                                 + condition).fetchone():
            return
        time.sleep(0.005)


def _drop(setup: Setup, staging: str, prod: str) -> None:
    for name in {staging, prod}:
        setup.bench.drop(name)
        if name in setup.bench.databases:
            setup.bench.databases.remove(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=os.environ.get(
        "NIVOMIGRATE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--spread", action="store_true",
                        help="kill inside a step drawn at random (default: uniform in time)")
    parser.add_argument("--targeted", action="store_true",
                        help="SIGKILL once at every boundary instead of at random moments")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"load average at start: {load_average()}; {os.cpu_count()} cores")
    bench = Bench(args.admin_url, args.keep)
    trials: list[Trial] = []
    setup = None
    try:
        setup = Setup(bench, args)
        if args.targeted:
            for command in ("apply", "promote"):
                for target in TARGETS:
                    trials.append(targeted_trial(setup, command, target))
                    print(trials[-1].line(), flush=True)
        else:
            random_trials(setup, rng, trials, args.kills)
    finally:
        bench.close([setup.project] if setup else [])
    summarize(trials)


def random_trials(setup: Setup, rng: random.Random, trials: list[Trial], kills: int) -> None:
    """Kills at random moments, terminated sessions, lock retries (the default mode)."""
    for _ in range(kills):
        trials.append(signal_trial(setup, rng.choice(["apply", "promote"]), rng))
        print(trials[-1].line(), flush=True)
    for command, which in [("apply", "run session"), ("apply", "monitor session"),
                           ("promote", "run session"), ("promote", "monitor session"),
                           ("promote", "staging lock")]:
        trials.append(terminate_trial(setup, command, which, rng))
        print(trials[-1].line(), flush=True)
    for command in ("apply", "promote"):
        trials.append(lock_retry_trial(setup, command))
        print(trials[-1].line(), flush=True)


def summarize(trials: list[Trial]) -> None:
    if trials and all(":" in t.fault for t in trials):  # --targeted
        for command in ("apply", "promote"):
            mine = [t for t in trials if t.command == command]
            print(f"{command}: {sum(t.recovered for t in mine)}/{len(mine)} boundaries recovered "
                  "by one plain re-run" + (", then promoted" if command == "apply" else ""))
        return
    signals = [t for t in trials if t.fault in ("SIGKILL", "SIGTERM")]
    inside = [t for t in signals if t.landed.startswith("inside")]
    print(f"\nsignals: {sum(t.recovered for t in signals)}/{len(signals)} recovered by a plain "
          f"re-run; {len(inside)} landed inside the revision "
          f"({sum(t.recovered for t in inside)}/{len(inside)} recovered)")
    others = [t for t in trials if t not in signals]
    print(f"terminated sessions and lock retries: {sum(t.recovered for t in others)}/"
          f"{len(others)} recovered")
    exits: dict[tuple[str, int], int] = {}
    for trial in signals:
        key = (trial.fault, trial.first_exit)
        exits[key] = exits.get(key, 0) + 1
    print("exit codes of the interrupted runs: " + ", ".join(
        f"{fault} -> {code}: {count}" for (fault, code), count in sorted(exits.items())))


if __name__ == "__main__":
    main()
