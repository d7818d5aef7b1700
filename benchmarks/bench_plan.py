"""Time `nivomigrate plan` on the NivoStack schema with one pending revision (target: < 3 s warm).

Not a test: run by hand, against a server you may create databases on.

    python benchmarks/bench_plan.py [--repeat 5] [--profile-top 25]

A temporary copy of the project (versions/, policies/, nivomigrate.toml) whose staging and
prod databases are at revision 0001 (built from the revisions), head 0002: one pending
revision on each. Each revision file of the copy ends with a salt comment, so its shadow
templates (named by the files' checksums) belong to this run only; the shared ones are never
touched.

- cold: a new salt before each run, so `plan` finds no template and builds the schemas at
  0001 (drift) and 0002 (coverage of the head) in the shadow server itself;
- warm: the same salt again, the templates exist;
- `nivomigrate --help` (Python start-up and the CLI's imports only), for scale;
- in process: `make_plan` timed (warm) and profiled with cProfile; the top cumulative
  entries under nivomigrate/ are printed, then the top ones outside it.

The CLI runs with `--format json` (exit code 1 is expected: staging has no passed run).
Every database and template it makes is dropped at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nivomigrate import shadow  # noqa: E402
from nivomigrate.config import load_settings  # noqa: E402
from nivomigrate.engine.build import ensure_template  # noqa: E402
from nivomigrate.progress import Progress  # noqa: E402

NIVOMIGRATE = str(Path(sys.executable).parent / "nivomigrate")


class PlanProject:
    """A salted project copy, its staging and prod databases, and every template it made."""

    def __init__(self, admin_url: str):
        self.admin_url = admin_url
        self.root = Path(tempfile.mkdtemp(prefix="nivo_bench_plan_"))
        shutil.copytree(REPO / "policies", self.root / "policies")
        shutil.copy(REPO / "nivomigrate.toml", self.root / "nivomigrate.toml")
        self.templates: set[str] = set()
        self.databases: list[str] = []
        try:
            self.salt("databases")
            at_0001 = ensure_template(admin_url, self.versions, "0001")
            for env in ("staging", "prod"):
                name = shadow.scratch_name(f"nivo_bench_plan_{env}")
                self.databases.append(name)
                shadow.create_database(admin_url, name, at_0001)
            self.urls = dict(zip(("staging", "prod"), self.databases, strict=True))
            self.drop_templates()  # the next salt starts cold
        except BaseException:
            self.close()
            raise

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    @property
    def environ(self) -> dict[str, str]:
        environ = dict(os.environ)
        environ.update({
            "STAGING_POSTGRES_URL_NON_POOLING": shadow_url(self.admin_url, self.urls["staging"]),
            "PROD_POSTGRES_URL_NON_POOLING": shadow_url(self.admin_url, self.urls["prod"]),
            "NIVOMIGRATE_SHADOW_URL": self.admin_url, "USER": "bench"})
        return environ

    def salt(self, salt: str | None = None) -> None:
        """Copy the repo's revisions with a new salt comment; remember their template names."""
        shutil.rmtree(self.versions, ignore_errors=True)
        shutil.copytree(REPO / "versions", self.versions,
                        ignore=shutil.ignore_patterns("__pycache__"))
        salt = salt or uuid.uuid4().hex
        for path in self.versions.glob("*.py"):
            path.write_text(path.read_text() + f"\n# bench salt {salt}\n")
        from nivomigrate.engine.build import chain_template_names

        self.templates |= chain_template_names(self.versions,
                                               role=shadow.login_role(self.admin_url))

    def drop_templates(self) -> None:
        for name in sorted(self.templates):
            shadow.drop_database(self.admin_url, name)
        self.templates.clear()

    def close(self) -> None:
        self.drop_templates()
        for name in self.databases:
            shadow.drop_database(self.admin_url, name)
        shutil.rmtree(self.root, ignore_errors=True)


def shadow_url(admin_url: str, database: str) -> str:
    from nivomigrate.db import with_database

    return with_database(admin_url, database)


def timed_cli(arguments: list[str], project: PlanProject) -> tuple[float, int]:
    started = time.perf_counter()
    process = subprocess.run([NIVOMIGRATE, *arguments], cwd=project.root, env=project.environ,
                             capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if process.returncode not in (0, 1):
        raise RuntimeError(f"nivomigrate {' '.join(arguments)}: exit {process.returncode}\n"
                           f"{process.stderr[-3000:]}")
    return elapsed, process.returncode


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def summary(label: str, timings: list[float]) -> str:
    return (f"{label:<44} best {min(timings):6.2f} s  median {statistics.median(timings):6.2f} s"
            f"  ({len(timings)} runs)")


def profile(project: PlanProject, top: int) -> None:
    from nivomigrate.steps.plan import make_plan

    settings = load_settings(project_root=project.root, environ=project.environ)
    make_plan(settings, "all", progress=Progress(quiet=True))  # warm: templates, imports
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        make_plan(settings, "all", progress=Progress(quiet=True))
        timings.append(time.perf_counter() - started)
    print(summary("make_plan, in process, warm", timings))
    profiler = cProfile.Profile()
    profiler.enable()
    make_plan(settings, "all", progress=Progress(quiet=True))
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = max(row[3] for row in stats.stats.values())
    ours, theirs = [], []
    for (filename, line, function), (_, calls, _, cumulative, _) in stats.stats.items():
        where = f"{Path(filename).name}:{line}({function})"
        if "/nivomigrate/" in filename and "/benchmarks/" not in filename:
            ours.append((cumulative, calls, filename.split("/nivomigrate/", 1)[1] + f":{line}"
                         f"({function})"))
        elif cumulative > 0.03 * total:
            theirs.append((cumulative, calls, where))
    print(f"\ncProfile of one warm make_plan ({total:.2f} s), cumulative, under nivomigrate/:")
    for cumulative, calls, where in sorted(ours, reverse=True)[:top]:
        print(f"  {cumulative:6.3f} s {cumulative / total:5.0%} {calls:>6} calls  {where}")
    print("outside nivomigrate/ (above 3%):")
    for cumulative, calls, where in sorted(theirs, reverse=True)[:top]:
        print(f"  {cumulative:6.3f} s {cumulative / total:5.0%} {calls:>6} calls  {where}")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(12)
    print("\ntop own time:\n" + "\n".join(buffer.getvalue().splitlines()[6:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=os.environ.get(
        "NIVOMIGRATE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile-top", type=int, default=25)
    args = parser.parse_args()
    print(f"load average at start: {load_average()}; {os.cpu_count()} cores")
    project = PlanProject(args.admin_url)
    try:
        cold, warm, helps = [], [], []
        for _ in range(args.repeat):  # interleaved: cold, warm, --help
            project.salt()
            elapsed, code = timed_cli(["plan", "--format", "json"], project)
            cold.append(elapsed)
            elapsed, code = timed_cli(["plan", "--format", "json"], project)
            warm.append(elapsed)
            helps.append(timed_cli(["--help"], project)[0])
            project.drop_templates()
        project.salt()
        timed_cli(["plan", "--format", "json"], project)  # leaves the templates for profile()
        print(summary("nivomigrate plan, cold (no templates)", cold))
        print(summary("nivomigrate plan, warm (templates exist)", warm))
        print(summary("nivomigrate --help (start-up + imports)", helps))
        print(f"plan exit code: {code} (1: staging has no passed run, as expected)")
        profile(project, args.profile_top)
        print(f"\ntarget: warm under 3 s: {min(warm) < 3} (best {min(warm):.2f} s, "
              f"median {statistics.median(warm):.2f} s)")
    finally:
        project.close()
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
