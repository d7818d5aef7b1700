"""The demo: the real workflow, end to end, on embedded staging and prod databases."""

from __future__ import annotations

import shlex
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TextIO

from nivomigrate import migrations, shadow
from nivomigrate.config import load_settings, shadow_cache_dir
from nivomigrate.db import Target, sqlalchemy_engine
from nivomigrate.progress import Progress

_SEED_SQL = """
insert into "User" (id, email, password, "updatedAt")
    values ('demo-user', 'demo@nivostack.dev', 'x', now());
insert into "Project" (id, name, "apiKey", "userId", "updatedAt")
    select 'project-' || p, 'Demo app ' || p, 'key-' || p, 'demo-user', now()
    from generate_series(1, 50) p;
insert into "Device" (id, "projectId", "deviceId", platform, "updatedAt")
    select 'dev-' || i, 'project-' || (i % 50 + 1), 'device-' || i,
           case when i % 2 = 0 then 'ios' else 'android' end, now()
    from generate_series(1, 1000) i;
insert into "Log" (id, "projectId", "deviceId", level, message, "timestamp")
    select 'log-' || i, 'project-' || (i % 50 + 1), 'dev-' || (i % 1000 + 1),
           (array['debug', 'info', 'warn', 'error'])[i % 4 + 1], 'hello ' || i,
           now() - i * interval '1 second'
    from generate_series(1, 50000) i;
analyze;
"""


#: The models' package in the shipped project (pyproject's force-include).
SHIPPED_MODELS = "nivostack_models"


def shipped_project() -> Path:
    """Return the folder holding the revisions and policies that ship with nivomigrate."""
    packaged = resources.files("nivomigrate") / "_project"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2]


def run_demo(out: TextIO, keep: bool = False) -> int:
    """Run plan, apply staging and promote prod on embedded databases; return the exit code.

    Without `keep` the databases are dropped and the own server, when the demo started it, is
    stopped; with it both stay and the commands to explore them are printed."""
    progress = Progress()
    project = shipped_project()
    was_running = _own_server_running()
    with progress.step("starting the embedded PostgreSQL server"):
        server = shadow.local_server(shadow_cache_dir())
    names = {env: shadow.scratch_name(f"nivo_demo_{env}") for env in ("staging", "prod")}
    urls = {env: shadow.create_database(server.admin_url, name) for env, name in names.items()}
    environ = {"STAGING_POSTGRES_URL_NON_POOLING": urls["staging"],
               "PROD_POSTGRES_URL_NON_POOLING": urls["prod"]}
    try:
        settings = load_settings(project_root=project, environ={
            **environ, "NIVOMIGRATE_SHADOW_URL": server.admin_url, "USER": "demo"})
        settings = replace(settings, models=SHIPPED_MODELS)
        older = older_revision(settings.versions_dir)
        with progress.step(f"bringing staging and prod to revision {older} with sample data"):
            for url in urls.values():
                prepare_database(settings.versions_dir, url, older)
        code = _walk(settings, out, progress)
    finally:
        if not keep:
            for name in names.values():
                shadow.drop_database(server.admin_url, name)
            if not was_running:
                shadow.stop_own_server()
    out.write(_explore_text(project, environ) if keep else
              "\nTo explore staging and prod afterwards: nivomigrate demo --keep (it keeps them "
              "and prints the commands).\n")
    return code


def _own_server_running() -> bool:
    state = shadow.own_server_state()
    return state is not None and state.is_running


def _explore_text(project: Path, environ: dict[str, str]) -> str:
    """The lines to paste to explore the kept databases (the demo's own, passwordless URLs)."""
    exports = "".join(f"  export {name}={shlex.quote(url)}\n" for name, url in environ.items())
    return ("\nThe demo's databases are kept, and its server runs. To explore them, paste:\n"
            f"  cd {shlex.quote(str(project))}\n{exports}"
            "  nivomigrate history staging && nivomigrate plan && nivomigrate coverage staging\n"
            "When done: nivomigrate shadow stop\n")


def older_revision(versions_dir: Path) -> str:
    chain = migrations.revisions(versions_dir)
    return chain[-2].id if len(chain) > 1 else chain[-1].id


def prepare_database(versions_dir: Path, url: str, revision: str) -> None:
    """Bring the database at `url` to `revision` and fill it with the sample data."""
    import sqlalchemy

    engine = sqlalchemy_engine(Target("demo", url, "the demo"), writes=True)
    with engine.connect() as conn:
        migrations.upgrade(versions_dir, conn, revision)
        conn.commit()
        conn.execute(sqlalchemy.text(_SEED_SQL))
        conn.commit()
    engine.dispose()


def _walk(settings, out: TextIO, progress: Progress) -> int:
    """Tell the story in a screen: prod's promotion is blocked until staging has passed;
    apply staging; promote prod; staging and prod are then equal."""
    from nivomigrate.engine.diff import diff_schemas
    from nivomigrate.engine.targets import resolve_target
    from nivomigrate.findings import with_relative_paths
    from nivomigrate.render.terminal import render_terminal
    from nivomigrate.steps.apply import apply_environment
    from nivomigrate.steps.plan import make_plan
    from nivomigrate.steps.promote import promote_environment

    quiet = Progress(quiet=True)
    steps = [
        ("plan all", (0, 1), lambda: make_plan(settings, "all", progress=quiet)),
        ("apply staging", (0,), lambda: apply_environment(settings, "staging", progress=quiet)),
        ("promote prod", (0,), lambda: promote_environment(settings, "prod", allow_dirty=True,
                                                           progress=quiet)),
    ]
    for command, expected, step in steps:
        out.write(f"\n$ nivomigrate {command}\n")
        out.flush()
        with progress.step(command):
            report = step()
        render_terminal(with_relative_paths(report, str(settings.root)), out, brief=True)
        code = report.exit_code
        if code not in expected:
            out.write(f"demo stopped: nivomigrate {command} exited with {code}\n")
            return code
    staging = resolve_target(settings, "staging")
    prod = resolve_target(settings, "prod")
    difference = diff_schemas(staging, prod).sql
    out.write("\n$ nivomigrate diff staging prod\n"
              + (difference or "-- staging and prod are equal\n"))
    return 0 if not difference.strip() else 1
