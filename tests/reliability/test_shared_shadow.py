"""One own shadow server shared by many processes and checkouts: 8 runs of check, plan,
baseline and `shadow prune` on 3 checkouts whose revision chains differ, all started at once on
a server none of them has started yet, while the test prunes the first checkout's stale
templates (the other checkouts') in a loop. Every run ends as it would alone: no template
dropped under another run, no second server, no error."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg

from nivomigrate import shadow
from nivomigrate.engine.build import prune_templates
from nivomigrate.errors import DatabaseConnectionError
from tests.reliability.helpers import copy_project
from tests.test_shadow import cache_dir  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]
PRISMA_SQL = REPO / "tests" / "fixtures" / "prisma" / "nivostack_prisma.sql"
# What each checkout adds to the repo's chain (None: nothing; else its first revision differs
# too), and the commands run in it.
CHECKOUTS = {
    "a": (None, [("check",), ("plan", "staging"), ("baseline", "prod")]),
    "b": ("pass", [("plan", "staging"), ("baseline", "prod"), ("shadow", "prune")]),
    "c": ("op.execute(\"COMMENT ON TABLE public.\\\"Device\\\" IS 'c'\")",
          [("plan", "staging"), ("shadow", "prune")]),
}


def _checkout(folder: Path, extra: str | None, make_database, head_template: str,
              cache: Path):
    """A project copy (plus a pending revision when `extra`), its staging at head and its
    prod a Prisma-made database for baseline, on the own shadow server in `cache`."""
    prod = make_database("nivo_shared_prod")
    with psycopg.connect(prod, autocommit=True) as conn:
        conn.execute(PRISMA_SQL.read_text())
    urls = {"staging": make_database("nivo_shared_staging", head_template), "prod": prod}
    project = copy_project(folder, urls, "")
    if extra is not None:  # another chain from its first revision on: no template in common
        first = sorted((project.root / "versions").glob("0001_*.py"))[0]
        first.write_text(first.read_text() + f"\n# checkout {folder.name}\n")
        project.add_revision(extra)
    return project, {**project.environ, "NIVOMIGRATE_CACHE_DIR": str(cache)}


def test_eight_runs_on_three_checkouts_share_one_own_shadow_server(
        tmp_path, cache_dir, make_database, head_template, cli):  # noqa: F811
    runs = []
    for name, (extra, commands) in CHECKOUTS.items():
        project, environ = _checkout(tmp_path / name, extra, make_database, head_template,
                                     cache_dir)
        runs += [(name, cli.start(project, *command, environ=environ)) for command in commands]
    assert len(runs) == 8
    pruned = _prune_while_running(cache_dir, tmp_path / "a" / "project" / "versions",
                                  [run for _, run in runs])
    outcomes = [(name, cli.finish(run, timeout=400)) for name, run in runs]
    print(f"the loop pruned {len(pruned)} template(s) of the other checkouts")
    for name, outcome in outcomes:
        assert outcome.code in (0, 1), (name, outcome)
        assert "error:" not in outcome.stderr and "Traceback" not in outcome.text, outcome
        if outcome.args[0] in ("check", "baseline", "shadow"):
            assert outcome.code == 0, (name, outcome)
    # One server was started, by one of the runs, and all of them used it.
    started = [o for _, o in outcomes if "started nivomigrate's own shadow server" in o.stderr]
    assert len(started) == 1, outcomes
    assert len(list(cache_dir.glob("pg*/data/PG_VERSION"))) == 1


def _prune_while_running(cache: Path, versions: Path, runs: list, limit_s: float = 400) -> list:
    """Prune the templates outside `versions`' chain (no idle time) until every run ended."""
    pruned, deadline = [], time.monotonic() + limit_s
    while any(run.poll() is None for run in runs) and time.monotonic() < deadline:
        state = shadow.own_server_state(cache)
        if state is not None and state.is_running and state.port:
            admin_url = f"postgresql://postgres@127.0.0.1:{state.port}/postgres"
            try:
                pruned += prune_templates(admin_url, versions)
            except DatabaseConnectionError:  # the server is starting: try again
                pass
        time.sleep(0.2)
    return pruned
