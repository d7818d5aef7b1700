"""The nivomigrate command line: parse, call one step, render, exit.

Heavy libraries (SQLAlchemy, psycopg, alembic, migra) are imported inside the commands, so
`nivomigrate --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer

from nivomigrate.errors import NivoError

app = typer.Typer(
    name="nivomigrate",
    help="Staging-first migrations and schema promotion for PostgreSQL.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state: dict = {"env_file": None, "debug": False}

EnvFile = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional on 3.11
    typer.Option("--env-file", help="Load one more dotenv file (variables already set win)."),
]
def _known_format(value: str) -> str:
    """Refuse an unknown format before the command does any work."""
    from nivomigrate.render import FORMATS

    if value not in FORMATS:
        raise typer.BadParameter(f"use one of: {', '.join(FORMATS)}")
    return value


Format = Annotated[
    str, typer.Option("--format", "-f", callback=_known_format,
                      help="terminal, json, markdown or github (annotations).")
]


@app.callback()
def _main(
    env_file: EnvFile = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    _state.update(env_file=env_file, debug=debug)


@contextmanager
def _errors() -> Iterator[None]:
    """Map NivoError to one line on stderr and its exit code; anything else to 70."""
    from nivomigrate.redaction import redact

    try:
        yield
    except NivoError as exc:
        if _state["debug"]:
            raise
        typer.echo(f"error: {redact(exc.message)}", err=True)
        if exc.hint:
            typer.echo(f"hint: {redact(exc.hint)}", err=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        raise typer.Exit(130) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception:
        import traceback

        typer.echo(redact("error: unexpected failure (a bug); please report it:\n"
                          + traceback.format_exc()), err=True)
        raise typer.Exit(70) from None


def _settings():
    from nivomigrate.config import load_settings

    return load_settings(env_file=_state["env_file"])


def _render(report, fmt: str, settings=None) -> None:
    """Write the report; with `github`, also append its Markdown to the step summary."""
    from nivomigrate.render import render

    render(report, fmt, sys.stdout)
    if fmt == "github" and settings is not None and settings.step_summary:
        with settings.step_summary.open("a") as summary:
            render(report, "markdown", summary)


def _exit_for(report) -> None:
    raise typer.Exit(report.exit_code)


@app.command()
def doctor(fmt: Format = "terminal") -> None:
    """Show each environment's URL source, kind, server and what its role may do."""
    with _errors():
        from nivomigrate.steps.doctor import examine

        report = examine(_settings())
        _render(report, fmt)
        _exit_for(report)


@app.command()
def diff(
    source: Annotated[str, typer.Argument(help="Environment name or direct URL.")],
    target: Annotated[str, typer.Argument(help="Environment name or direct URL.")],
) -> None:
    """Print the SQL that turns SOURCE into TARGET; exit 0 when equal, 1 when they differ."""
    with _errors():
        from nivomigrate.steps.diff import diff_environments

        result = diff_environments(_settings_or_none(), source, target)
        sys.stdout.write(result.sql)
        raise typer.Exit(0 if not result.sql.strip() else 1)


def _settings_or_none():
    from nivomigrate.errors import ConfigError

    try:
        return _settings()
    except ConfigError:
        return None


@app.command()
def check(fmt: Format = "terminal") -> None:
    """Check that the models and the revisions at head describe the same schema."""
    with _errors():
        from nivomigrate.steps.check import check_models

        settings = _settings()
        report = check_models(settings)
        _render(report, fmt, settings)
        _exit_for(report)


@app.command()
def baseline(
    env: Annotated[str, typer.Argument(help="staging or prod.")],
    revision: Annotated[Optional[str], typer.Option(help="Adopt at this revision.")] = None,  # noqa: UP045
    write_revision: Annotated[
        bool, typer.Option("--write-revision", help="Write a revision for the extra objects.")
    ] = False,
    fmt: Format = "terminal",
) -> None:
    """Adopt an existing database with no revision yet, at the revision its schema matches."""
    with _errors():
        from nivomigrate.steps.baseline import adopt

        report = adopt(_settings(), env, revision=revision, write_revision=write_revision)
        _render(report, fmt)
        _exit_for(report)


@app.command()
def revision(
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")],
) -> None:
    """Write the next revision by autogenerate against the shadow database at head."""
    with _errors():
        from nivomigrate.steps.revision import write_revision

        path = write_revision(_settings(), message)
        typer.echo(f"wrote {path}")


@app.command()
def roles(
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")]
    = "Service roles",
    fmt: Format = "terminal",
) -> None:
    """Write the GRANT/REVOKE revision that gives each service's role what services.yaml says."""
    with _errors():
        from nivomigrate.steps.roles import write_roles_revision

        result = write_roles_revision(_settings(), message)
        _render(result.report, fmt)
        _exit_for(result.report)


@app.command()
def plan(
    env: Annotated[str, typer.Argument(help="staging, prod or all.")] = "all",
    gate: Annotated[str, typer.Option(help="merge or promote.")] = "promote",
    fmt: Format = "terminal",
) -> None:
    """Show what apply and promote would do, and the gate's verdict. Read-only."""
    with _errors():
        from nivomigrate.steps.plan import make_plan

        settings = _settings()
        report = make_plan(settings, env, gate=gate)
        _render(report, fmt, settings)
        _exit_for(report)


@app.command()
def apply(
    env: Annotated[str, typer.Argument(help="The environment to migrate (staging).")],
    allow_drift: Annotated[bool, typer.Option("--allow-drift")] = False,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty")] = False,
    fmt: Format = "terminal",
) -> None:
    """Apply pending revisions to staging, verify it, and record the run."""
    with _errors():
        from nivomigrate.steps.apply import apply_environment

        settings = _settings()
        report = apply_environment(settings, env, allow_drift=allow_drift,
                                   allow_dirty=allow_dirty)
        _render(report, fmt, settings)
        _exit_for(report)


@app.command()
def promote(
    env: Annotated[str, typer.Argument(help="The environment to promote to (prod).")],
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    allow_drift: Annotated[bool, typer.Option("--allow-drift")] = False,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty")] = False,
    fmt: Format = "terminal",
) -> None:
    """Promote to prod the revisions that passed on staging, then verify prod equals staging."""
    with _errors():
        from nivomigrate.steps.promote import promote_environment

        settings = _settings()
        report = promote_environment(settings, env, dry_run=dry_run,
                                     allow_drift=allow_drift, allow_dirty=allow_dirty)
        _render(report, fmt, settings)
        _exit_for(report)


@app.command()
def repair(
    env: Annotated[str, typer.Argument(help="The environment whose checksums to re-accept.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the edited revision is fine.")],
    fmt: Format = "terminal",
) -> None:
    """Re-accept revision files edited after they were applied, recording why."""
    with _errors():
        from nivomigrate.steps.repair import repair_checksums

        report = repair_checksums(_settings(), env, reason)
        _render(report, fmt)
        _exit_for(report)


@app.command()
def status(
    env: Annotated[str, typer.Argument(help="staging, prod or all.")] = "all",
    fmt: Format = "terminal",
) -> None:
    """Show each environment's revision and pending revisions."""
    with _errors():
        from nivomigrate.steps.status import show_status

        report = show_status(_settings(), env)
        _render(report, fmt)
        _exit_for(report)


@app.command()
def history(
    env: Annotated[str, typer.Argument(help="staging, prod or all.")] = "all",
    fmt: Format = "terminal",
) -> None:
    """Show the runs recorded in each environment's ledger."""
    with _errors():
        from nivomigrate.steps.history import show_history

        report = show_history(_settings(), env)
        _render(report, fmt)
        _exit_for(report)


@app.command()
def coverage(
    env: Annotated[str, typer.Argument(help="staging, prod, or a direct URL.")],
    fmt: Format = "terminal",
) -> None:
    """Check that an index serves every hot query; exit 1 when a required one has a gap."""
    with _errors():
        from nivomigrate.engine.targets import resolve_target
        from nivomigrate.steps.coverage import coverage_report

        settings = _settings()
        report = coverage_report(settings, resolve_target(settings, env))
        _render(report, fmt, settings)
        _exit_for(report)


@app.command()
def lint(
    env: Annotated[str, typer.Argument(help="Lint what is pending: staging, prod, all.")] = "all",
    fmt: Format = "terminal",
) -> None:
    """Lint pending revisions with squawk and the databases' context."""
    with _errors():
        from nivomigrate.steps.lint import lint_report

        settings = _settings()
        report = lint_report(settings, env)
        _render(report, fmt, settings)
        _exit_for(report)


@app.command()
def demo(
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo databases.")] = False,
) -> None:
    """Run the whole workflow on embedded staging and prod databases."""
    with _errors():
        from nivomigrate.steps.demo import run_demo

        raise typer.Exit(run_demo(sys.stdout, keep=keep))


def main() -> None:
    app()
