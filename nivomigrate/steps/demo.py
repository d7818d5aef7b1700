"""The demo: the real workflow, end to end, on embedded staging and prod databases."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TextIO

from nivomigrate import migrations, shadow
from nivomigrate.config import load_settings
from nivomigrate.db import Target, sqlalchemy_engine
from nivomigrate.progress import Progress
from nivomigrate.render import render

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


def shipped_project() -> Path:
    """Return the folder holding the revisions and policies that ship with nivomigrate."""
    packaged = resources.files("nivomigrate") / "_project"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2]


def shipped_models(project: Path) -> str:
    """Return the models' module in the shipped project (see pyproject's force-include)."""
    return "nivostack_schema" if (project / "nivostack_schema").is_dir() else "nivomigrate.schema"


def run_demo(out: TextIO, keep: bool = False) -> int:
    """Run plan, apply staging and promote prod on embedded databases; return the exit code."""
    progress = Progress()
    project = shipped_project()
    with progress.step("starting the embedded PostgreSQL server"):
        server = shadow.local_server()
    names = {env: shadow.scratch_name(f"nivo_demo_{env}") for env in ("staging", "prod")}
    urls = {env: shadow.create_database(server.admin_url, name) for env, name in names.items()}
    try:
        settings = load_settings(project_root=project, environ={
            "STAGING_POSTGRES_URL_NON_POOLING": urls["staging"],
            "PROD_POSTGRES_URL_NON_POOLING": urls["prod"],
            "NIVOMIGRATE_SHADOW_URL": server.admin_url,
            "USER": "demo",
        })
        settings = replace(settings, models=shipped_models(project))
        older = _older_revision(settings.versions_dir)
        with progress.step(f"bringing staging and prod to revision {older} with sample data"):
            for url in urls.values():
                _prepare(settings.versions_dir, url, older)
        return _walk(settings, out, progress)
    finally:
        if keep:
            progress.say(f"kept the demo databases on {server.admin_url}: "
                         + ", ".join(names.values()))
        else:
            for name in names.values():
                shadow.drop_database(server.admin_url, name)


def _older_revision(versions_dir: Path) -> str:
    chain = migrations.revisions(versions_dir)
    return chain[-2].id if len(chain) > 1 else chain[-1].id


def _prepare(versions_dir: Path, url: str, revision: str) -> None:
    import sqlalchemy

    engine = sqlalchemy_engine(Target("demo", url, "the demo"), writes=True)
    with engine.connect() as conn:
        migrations.upgrade(versions_dir, conn, revision)
        conn.commit()
        conn.execute(sqlalchemy.text(_SEED_SQL))
        conn.commit()
    engine.dispose()


def _walk(settings, out: TextIO, progress: Progress) -> int:
    from nivomigrate.engine.diff import diff_schemas
    from nivomigrate.engine.targets import resolve_target
    from nivomigrate.steps.apply import apply_environment
    from nivomigrate.steps.history import show_history
    from nivomigrate.steps.plan import make_plan
    from nivomigrate.steps.promote import promote_environment

    steps = [
        ("$ nivomigrate plan all", lambda: make_plan(settings, "all", gate="merge",
                                                     progress=progress)),
        ("$ nivomigrate apply staging", lambda: apply_environment(settings, "staging",
                                                                  progress=progress)),
        ("$ nivomigrate promote prod", lambda: promote_environment(
            settings, "prod", allow_dirty=True, progress=progress)),
        ("$ nivomigrate history", lambda: show_history(settings, "all")),
    ]
    for title, step in steps:
        out.write(f"\n{title}\n")
        out.flush()
        report = step()
        render(report, "terminal", out)
        code = report.exit_code
        if code:
            out.write(f"demo stopped: {title[2:]} exited with {code}\n")
            return code
    staging = resolve_target(settings, "staging")
    prod = resolve_target(settings, "prod")
    difference = diff_schemas(staging, prod).sql
    out.write("\n$ nivomigrate diff staging prod\n"
              + (difference or "-- staging and prod are equal\n"))
    return 0 if not difference.strip() else 1
