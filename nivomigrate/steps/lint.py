"""Lint pending revisions: squawk's rules plus the checks that need the databases' context."""

from __future__ import annotations

from contextlib import ExitStack
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.db import Target
    from nivomigrate.migrations import Revision

def lint_findings(
    settings: Settings,
    revisions: list[Revision],
    targets: dict[str, Target],
    *,
    pending: dict[str, set[str]] | None = None,
) -> list[Finding]:
    """Run every revision check on `revisions`, with the context of each target's database.

    Args:
        targets: environment name -> database, opened read-only; empty for no context.
        pending: environment name -> ids of the revisions still to apply there; the database
            checks of an environment see only those (default: all of `revisions`).

    Raises:
        DatabaseConnectionError, RefusedConnectionError: a target cannot be used.
        ConfigError: a policy file is invalid or squawk is missing.
    """
    from nivomigrate import db

    with ExitStack() as stack:
        databases = {name: stack.enter_context(db.connection(target, writes=False))
                     for name, target in targets.items()}
        return _lint(settings, revisions, databases, pending)


def _lint(settings, revisions, databases, pending) -> list[Finding]:
    """Run the registered lint checks, in order, on each revision; then its annotations."""
    from nivomigrate.checks import LINT_CHECKS
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.hypothetical import index_changes
    from nivomigrate.checks.revision_sql import apply_annotations, render_revision
    from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
    from nivomigrate.policies.promotion import load_promotion_policy
    from nivomigrate.policies.services import load_service_map

    policy = load_promotion_policy(settings.policies_dir)
    services = load_service_map(settings.policies_dir)
    queries: tuple | None = None  # read only when a revision changes an index
    rehearsal = frozenset(env for env in databases
                          if settings.environment(env).promoted_from is None)
    findings: list[Finding] = []
    for revision in revisions:
        rendered = render_revision(settings.versions_dir, revision)
        here = {env: conn for env, conn in databases.items()
                if pending is None or revision.id in pending.get(env, set())}
        if queries is None and index_changes(rendered):
            queries = tuple(load_hot_queries(settings.policies_dir / HOT_QUERIES_FILE))
        context = LintContext(policy, services, here, queries or (), rehearsal)
        found = [finding for check in LINT_CHECKS for finding in check.check(rendered, context)]
        findings += apply_annotations(rendered, found)
    return findings


def lint_report(settings: Settings, env: str) -> Report:
    """Lint the revisions pending on `env` (staging, prod or all).

    An environment whose URL is not configured is linted without database context: all
    revisions, and a note says so.

    Raises:
        ConfigError: unknown environment name, invalid policy, squawk missing.
        DatabaseConnectionError: a configured database cannot be reached.
    """
    from nivomigrate import db, migrations

    names = settings.selected(env)
    ordered = migrations.revisions(settings.versions_dir)
    targets, pending, notes, rows = {}, {}, [], []
    for name in names:
        environment = settings.environment(name)
        if not environment.url:
            notes.append(f"{name}: {environment.url_variable} is not set; linted all "
                         "revisions without database context")
            pending[name] = {r.id for r in ordered}
            rows.append((name, "not configured", str(len(ordered))))
            continue
        target = db.target_for(environment)
        with db.connection(target, writes=False) as conn:
            current = migrations.current_revision(conn)
        todo = migrations.pending_after(ordered, current)
        targets[name], pending[name] = target, {r.id for r in todo}
        rows.append((name, current or "(none)", str(len(todo))))
    chosen = [r for r in ordered if any(r.id in ids for ids in pending.values())]
    findings = lint_findings(settings, chosen, targets, pending=pending)
    return Report(
        command="lint",
        title=f"Lint of pending revisions ({env})",
        findings=tuple(findings),
        sections=(Section("Environments", ("environment", "at revision", "pending"),
                          tuple(rows)),),
        data={"revisions": [r.id for r in chosen],
              "pending": {name: sorted(ids) for name, ids in pending.items()}},
        notes=tuple(notes),
    )
