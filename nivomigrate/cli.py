"""The nivomigrate command line: parse, call one step, render, exit.

Heavy libraries (SQLAlchemy, psycopg, alembic) are imported inside the commands, so
`nivomigrate --help` stays fast. Its annotations are evaluated where they are written (no
`from __future__ import annotations`): typer reads every command's parameters at each run,
and resolving them from strings took 10 ms of it.
"""

import os
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
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state: dict = {"env_file": None, "debug": False, "verbose": False, "quiet": False,
                "exit_at_once": False}  # see main()

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
                      help="terminal, json, markdown, github (annotations) or html.")
]


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"nivomigrate {version('nivomigrate')}")
        raise typer.Exit(0)


@app.callback()
def _main(
    env_file: EnvFile = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v",
                                          help="Show every finding, not the first few.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                        help="No progress; only errors and the verdict.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    from nivomigrate.progress import set_quiet

    _state.update(env_file=env_file, debug=debug, verbose=verbose, quiet=quiet)
    set_quiet(quiet)


@contextmanager
def _errors() -> Iterator[None]:
    """Map NivoError to one line on stderr and its exit code; anything else to 70.

    With --debug, the traceback comes first and the exit code stays the same.
    """
    import traceback

    from nivomigrate.redaction import redact

    try:
        yield
    except NivoError as exc:
        if _state["debug"]:
            typer.echo(redact(traceback.format_exc()), err=True)
        typer.echo(f"error: {redact(exc.message)}", err=True)
        if exc.hint:
            typer.echo(f"hint: {redact(exc.hint)}", err=True)
        _step_outputs("error", exc.exit_code)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt as exc:
        signal = getattr(exc, "signal", "SIGINT")
        typer.echo(f"error: interrupted by {signal}", err=True)
        typer.echo("hint: re-run the same command: a run resumes at its first unrecorded step",
                   err=True)
        raise typer.Exit(getattr(exc, "exit_code", 130)) from None
    except (typer.Exit, typer.Abort):
        raise
    except SystemExit as exc:  # sys.exit() in a project's code (models, a revision) we import
        typer.echo(f"error: the project's code called sys.exit({exc.code!r}) during the command",
                   err=True)
        typer.echo("hint: run with --debug to see where; project code must not exit", err=True)
        raise typer.Exit(2) from None
    except Exception:
        typer.echo(redact("error: unexpected failure (a bug); please report it:\n"
                          + traceback.format_exc()), err=True)
        _step_outputs("error", 70)
        raise typer.Exit(70) from None


def _step_outputs(verdict: str, exit_code: int) -> None:
    """In a GitHub Actions step, set its outputs `verdict` and `exit-code` ($GITHUB_OUTPUT)."""
    from nivomigrate.config import step_output_file

    path = step_output_file()
    if path is not None:
        with path.open("a") as outputs:
            outputs.write(f"verdict={verdict}\nexit-code={exit_code}\n")


def _settings():
    from nivomigrate.config import load_settings
    from nivomigrate.revision_code import limit_python

    settings = load_settings(env_file=_state["env_file"])
    limit_python(settings.timeouts.revision_python_s)
    return settings


def _render(report, fmt: str, settings=None) -> None:
    """Write the report; in GitHub Actions (json, github or html), also append its Markdown
    to the step summary (with `markdown` the workflow redirects it there itself)."""
    from nivomigrate.render import render

    roots = (str(settings.root) if settings else "", str(Path.cwd()))
    render(report, fmt, sys.stdout, verbose=_state["verbose"], quiet=_state["quiet"],
           roots=roots)
    if fmt in ("json", "github", "html") and settings is not None and settings.step_summary:
        with settings.step_summary.open("a") as summary:
            render(report, "markdown", summary, roots=roots)
    if fmt == "json":
        _step_outputs(report.verdict, report.exit_code)


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
    fmt: Annotated[str, typer.Option("--format", "-f", help="sql or json.")] = "sql",
) -> None:
    """Print the SQL that turns SOURCE into TARGET; exit 0 when equal, 1 when they differ."""
    with _errors():
        from nivomigrate.steps.diff import diff_environments, diff_report, names_an_environment

        if fmt not in ("sql", "json"):
            raise typer.BadParameter("use sql or json", param_hint="--format")
        settings = _settings_or_none() if names_an_environment(source, target) else None
        result = diff_environments(settings, source, target)
        if fmt == "json":
            _render(diff_report(result, source, target), "json")
        else:
            sys.stdout.write(result.sql)
        if not result.sql.strip():
            named = all("://" not in name for name in (source, target))  # a URL: no password
            sys.stderr.write(f"{source} and {target} are equal\n" if named
                             else "the two databases are equal\n")  # stdout stays empty
        _state["exit_at_once"] = True  # its connections are closed, its output written
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
    allow_drop: Annotated[
        bool, typer.Option("--allow-drop", help="Let the written revision drop objects the "
                           "database lacks (never a table holding rows).")
    ] = False,
    fmt: Format = "terminal",
) -> None:
    """Adopt an existing database with no revision yet, at the revision its schema matches."""
    with _errors():
        from nivomigrate.steps.baseline import adopt

        report = adopt(_settings(), env, revision=revision, write_revision=write_revision,
                       allow_drop=allow_drop)
        _render(report, fmt)
        _exit_for(report)


@app.command()
def revision(
    message: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "-m", "--message", help="What the revision does.")] = None,
    from_prisma: Annotated[bool, typer.Option(
        "--from-prisma", help="Write it from Prisma's diff of head's datamodel to PATH.")] = False,
    path: Annotated[Optional[Path], typer.Argument(  # noqa: UP045
        help="schema.prisma, with --from-prisma (default: prisma_schema).")] = None,
    rename: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--rename", help="Table.old:new: the models renamed this column; Old:New: this "
        "table (a RENAME, not a drop and an add); repeatable.")] = None,
) -> None:
    """Write the next revision, and bring the other source in step: autogenerate from the
    models, then schema.prisma (with prisma_schema); or --from-prisma, then the models."""
    with _errors():
        if from_prisma and rename:
            from nivomigrate.errors import ConfigError

            raise ConfigError("--rename is for revisions from the models", hint="from "
                              'schema.prisma, say a rename with @map("new") / @@map("new")')
        if from_prisma:
            from nivomigrate.steps.prisma import prisma_revision_report

            report = prisma_revision_report(_settings(), path, message)
            _render(report, "terminal")
            _exit_for(report)
        from nivomigrate.errors import ConfigError
        from nivomigrate.steps.revision import revision_report

        if message is None or path is not None:
            raise ConfigError("revision needs -m (and takes PATH only with --from-prisma)",
                              hint='nivomigrate revision -m "what it does"')
        report = revision_report(_settings(), message, tuple(rename or ()))
        if "prisma" in report.data:  # schema.prisma followed: show what was written there
            _render(report, "terminal")
            _exit_for(report)
        typer.echo(report.title)


@app.command()
def roles(
    message: Annotated[str, typer.Option("-m", "--message", help="What the revision does.")]
    = "Service roles",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show the revision and the models' declarations; write neither.")]
    = False,
    fmt: Format = "terminal",
) -> None:
    """Write the GRANT/REVOKE revision that gives each service's role what services.yaml says,
    and its declarations beside the models; both paths are said."""
    with _errors():
        from nivomigrate.steps.roles import write_roles_revision

        settings = _settings()
        result = write_roles_revision(settings, message, dry_run=dry_run)
        _render(result.report, fmt, settings)
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
def rollback(
    env: Annotated[str, typer.Argument(help="The environment to roll back (staging, then prod).")],
    allow_loss: Annotated[bool, typer.Option("--allow-loss")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    fmt: Format = "terminal",
) -> None:
    """Undo the current revision with its proven downgrade (staging first), or print the
    recovery steps of a one-way revision."""
    with _errors():
        from nivomigrate.steps.rollback import rollback_environment

        settings = _settings()
        report = rollback_environment(settings, env, allow_loss=allow_loss, dry_run=dry_run)
        _render(report, fmt, settings)
        _exit_for(report)


@app.command()
def promote(
    env: Annotated[str, typer.Argument(help="The environment to promote to (prod).")],
    dry_run: Annotated[bool, typer.Option("--dry-run")] = False,
    allow_drift: Annotated[bool, typer.Option("--allow-drift")] = False,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty")] = False,
    until_clear: Annotated[bool, typer.Option(
        "--until-clear", help="Wait for a contract's live readers to clear.")] = False,
    timeout: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="How long --until-clear waits: 90s, 30m, 2h (default 30m).")] = None,
    waive: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="live-readers: promote a contract despite live readers (with --reason).")] = None,
    reason: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="Why the waiver is safe.")] = None,
    fmt: Format = "terminal",
) -> None:
    """Promote to prod the revisions that passed on staging, then verify prod equals staging."""
    with _errors():
        from nivomigrate.steps.promote import contract_options, promote_environment

        contract = contract_options(until_clear, timeout, waive, reason)
        settings = _settings()
        report = promote_environment(settings, env, dry_run=dry_run, allow_drift=allow_drift,
                                     allow_dirty=allow_dirty, contract=contract)
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


@app.command("render")
def render_report(
    report_file: Annotated[Path, typer.Argument(help="A report written with --format json.")],
    fmt: Format = "terminal",
) -> None:
    """Render a saved JSON report in another format (html, markdown, github...). No database."""
    with _errors():
        from nivomigrate.render.json import read_report

        _render(read_report(report_file), fmt)


@app.command()
def comment(
    report_file: Annotated[Path, typer.Argument(help="The JSON of `plan all --gate merge`.")],
    report_url: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--report-url", envvar="NIVOMIGRATE_REPORT_URL", help="Where the full report is.")] = None,
) -> None:
    """Post the plan on the pull request as one comment, updated in place on every push."""
    with _errors():
        from nivomigrate.config import github_context
        from nivomigrate.render.json import read_report
        from nivomigrate.steps.comment import comment_on_pull_request

        outcome = comment_on_pull_request(_settings(), read_report(report_file),
                                          github_context(), report_url=report_url)
        where = outcome.url or "the step summary (no token, or a fork's pull request)"
        typer.echo(f"comment {outcome.action}: {where} "
                   f"({outcome.new_findings} finding(s) new in this pull request)")


shadow_app = typer.Typer(help="The shadow server: status, stop, prune its templates.",
                         no_args_is_help=True, rich_markup_mode=None)
app.add_typer(shadow_app, name="shadow")


@shadow_app.command("status")
def shadow_status(fmt: Format = "terminal") -> None:
    """Show which shadow server is used, whether it runs, and its templates."""
    with _errors():
        from nivomigrate.steps.shadow import shadow_status as status_of

        _render(status_of(_settings()), fmt)


@shadow_app.command("stop")
def shadow_stop(fmt: Format = "terminal") -> None:
    """Stop nivomigrate's own shadow server (the next command starts it again)."""
    with _errors():
        from nivomigrate.steps.shadow import stop_shadow

        _render(stop_shadow(_settings()), fmt)


@shadow_app.command("prune")
def shadow_prune(fmt: Format = "terminal") -> None:
    """Drop the templates of revisions no longer in the chain."""
    with _errors():
        from nivomigrate.steps.shadow import prune_shadow

        _render(prune_shadow(_settings()), fmt)


@app.command()
def demo(
    keep: Annotated[bool, typer.Option("--keep", help="Keep the demo databases.")] = False,
) -> None:
    """Run the whole workflow on embedded staging and prod databases."""
    with _errors():
        from nivomigrate.steps.demo import run_demo

        raise typer.Exit(run_demo(sys.stdout, keep=keep))


fleet_app = typer.Typer(help="Promote one change to many production databases, in waves "
                        "(docs/fleet.md).", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(fleet_app, name="fleet")
FleetName = Annotated[str, typer.Argument(help="The fleet ([fleets.<name>] in nivomigrate.toml).")]


@fleet_app.command("plan")
def fleet_plan(
    fleet: FleetName,
    max_waves: Annotated[Optional[int], typer.Option(  # noqa: UP045
        help="Refuse a fleet with more waves (the workflow's wave jobs).")] = None,
    fmt: Format = "terminal",
) -> None:
    """Show the promote gate of every target and the waves' GitHub Actions matrix. Read-only."""
    with _errors():
        from nivomigrate.steps.fleet import plan_fleet

        settings = _settings()
        report = plan_fleet(settings, fleet, max_waves=max_waves)
        _render(report, fmt, settings)
        _matrix_outputs(report.data["matrix"])
        _exit_for(report)


def _matrix_outputs(matrix: dict) -> None:
    """In a GitHub Actions step, set the outputs the fleet workflow's wave jobs read."""
    import json

    from nivomigrate.config import step_output_file

    path = step_output_file()
    if path is not None:
        with path.open("a") as outputs:
            outputs.write(f"matrix={json.dumps(matrix)}\nwaves={len(matrix['waves'])}\n"
                          f"max-parallel={matrix['max-parallel']}\n")
            for number, wave in enumerate(matrix["waves"], start=1):
                outputs.write(f"wave-{number}={json.dumps(wave) if wave else ''}\n")


@fleet_app.command("promote")
def fleet_promote(
    fleet: FleetName,
    wave: Annotated[Optional[int], typer.Option(help="Only this wave (1, 2, ...).")] = None,  # noqa: UP045
    fmt: Format = "terminal",
) -> None:
    """Promote the fleet's targets behind head, wave by wave, with the halt rule."""
    with _errors():
        from nivomigrate.steps.fleet import promote_fleet

        settings = _settings()
        report = promote_fleet(settings, fleet, wave=wave)
        _render(report, fmt, settings)
        _exit_for(report)


@fleet_app.command("gate")
def fleet_gate(
    fleet: FleetName,
    wave: Annotated[int, typer.Option(help="The wave about to start (2, 3, ...).")],
    reports: Annotated[Path, typer.Option(help="The folder of fleet-plan.json and the "
                                               "earlier waves' promote-<target>.json.")],
    fmt: Format = "terminal",
) -> None:
    """Apply the halt rule before a wave of the fleet workflow, then soak. Reads no database."""
    with _errors():
        from nivomigrate.steps.fleet import gate_wave

        settings = _settings()
        report = gate_wave(settings, fleet, wave, reports)
        _render(report, fmt, settings)
        _exit_for(report)


@fleet_app.command("status")
def fleet_status(fleet: FleetName, fmt: Format = "terminal") -> None:
    """Show every target's revision and last run, merged from their ledgers, and what to re-run."""
    with _errors():
        from nivomigrate.steps.fleet import fleet_status as status_of

        settings = _settings()
        report = status_of(settings, fleet)
        _render(report, fmt, settings)
        _exit_for(report)


prisma_app = typer.Typer(help="Keep the app's schema.prisma in step with head (docs/prisma.md).",
                         no_args_is_help=True)
app.add_typer(prisma_app, name="prisma")
PrismaPath = Annotated[Optional[Path], typer.Argument(  # noqa: UP045
    help="schema.prisma (default: prisma_schema in nivomigrate.toml).")]


@prisma_app.command("check")
def prisma_check(path: PrismaPath = None, fmt: Format = "terminal") -> None:
    """Compare Prisma's DDL of schema.prisma with head; exit 1 listing each attribute to change."""
    with _errors():
        from nivomigrate.steps.prisma import check_prisma

        settings = _settings()
        report = check_prisma(settings, path)
        _render(report, fmt, settings)
        _exit_for(report)


@prisma_app.command("write")
def prisma_write(path: PrismaPath = None, fmt: Format = "terminal") -> None:
    """Rewrite schema.prisma's index, unique and relation attributes to head's; show the diff."""
    with _errors():
        from nivomigrate.steps.prisma import write_prisma

        settings = _settings()
        report = write_prisma(settings, path)
        _render(report, fmt, settings)
        _exit_for(report)


def main() -> None:
    _state["exit_at_once"] = False  # set by a command that has nothing left to close
    try:
        app()
    except SystemExit as done:
        if _state["exit_at_once"]:
            _exit_at_once(done.code)
        raise


def _exit_at_once(code: object) -> None:
    """End the process without the interpreter's teardown, for a command that has nothing
    left to close: freeing typer's, asyncio's and psycopg's modules (its 250 exception
    classes) took 40 ms, a sixth of `diff`'s run. Flushes what the teardown would."""
    status = 0 if code is None else code if isinstance(code, int) else 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: the teardown's flush would fail too, and exit 120
        status = 120
    os._exit(status)
