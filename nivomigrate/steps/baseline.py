"""Adopt an existing database (made by Prisma, changed by hand) at the revision it matches.

The comparison and the adoption revision are the engine's (`engine/adoption.py`); this module
stamps, refuses or writes, and reports.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from nivomigrate import ledger, migrations
from nivomigrate.checks import baseline_match
from nivomigrate.db import SessionSettings, Target, connection, sqlalchemy_engine, target_for
from nivomigrate.engine.adoption import (
    Attempt,
    Candidate,
    adoption_candidates,
    adoption_sql,
    compare_all,
    idempotent,
    render_adoption_revision,
    split_statements,
    verify_adoption,
)
from nivomigrate.engine.build import ensure_template, shadow_server
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Report, Section, Severity

if TYPE_CHECKING:
    from pathlib import Path

    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.shadow import LocalServer



def adopt(settings: Settings, env: str, *, revision: str | None = None,
          write_revision: bool = False) -> Report:
    """Stamp an unversioned database at the revision whose schema it has, and record it.

    Args:
        revision: try only this revision (with its adoption revisions); default all, newest
            first.
        write_revision: when none matches, write an adoption revision for the closest one.

    Returns:
        A report whose exit code is 0 (stamped, or a revision written that builds in the
        shadow server and reproduces the database) or 3 (no revision matches: the differences
        are the findings, and nothing was changed; or the written revision does not build or
        reproduce: what failed is the findings).

    Raises:
        ConfigError: the database already has a revision, or `revision` is unknown.
        LockHeldError: another run holds the database's lock.
    """
    environment = settings.environment(env)
    target = target_for(environment)
    chain = migrations.revisions(settings.versions_dir)
    candidates = adoption_candidates(settings, chain, revision)
    session = SessionSettings.from_timeouts(settings.timeouts)
    with connection(target, writes=True, session=session) as conn:
        _refuse_if_versioned(conn, environment.name)
        ledger.take_lock(conn, environment.name)
        _refuse_if_versioned(conn, environment.name)
        server = shadow_server(settings, platform_from=target)
        attempts = compare_all(settings, conn, candidates, server)
        match = next((a for a in attempts if a.size == 0), None)
        if match is not None:
            return _stamp(settings, environment.name, target, conn, match.candidate, attempts)
        closest = min(attempts, key=lambda attempt: attempt.size)
        if write_revision:
            return _write_adoption(settings, environment.name, target, closest, attempts,
                                   server)
        return _refusal(environment.name, closest, attempts)


def _refuse_if_versioned(conn: psycopg.Connection, name: str) -> None:
    current = migrations.current_revision(conn)
    if current is not None:
        raise ConfigError(
            f"{name} is already at revision {current}",
            hint="baseline adopts only a database with no revision; use apply or promote",
        )


def _stamp(settings: Settings, name: str, target: Target, conn: psycopg.Connection,
           candidate: Candidate, attempts: list[Attempt]) -> Report:
    """Stamp the database at the candidate's revision and record a passed baseline run."""
    from nivomigrate.snapshot import take_snapshot

    revision = candidate.revision.id
    chain = migrations.revisions(settings.versions_dir)
    applied = migrations.up_to(chain, revision)
    entries = ledger.revision_entries(migrations.with_sql_checksums(settings.versions_dir, applied))
    checks = [{"adoption_revision": r.id, "adopted_at": revision} for r in candidate.adoptions]
    ledger.ensure_ledger(conn)
    run_id = ledger.start_run(
        conn, kind="baseline", environment=name, from_revision=None, to_revision=revision,
        revisions=entries, fingerprint_before=take_snapshot(conn).fingerprint,
        git=ledger.git_state(settings.root, settings.versions_dir), actor=settings.actor,
    )
    try:
        engine = sqlalchemy_engine(target, writes=True,
                                   session=SessionSettings.from_timeouts(settings.timeouts))
        try:
            with engine.connect() as sa_conn:
                migrations.stamp(settings.versions_dir, sa_conn, revision)
                sa_conn.commit()
        finally:
            engine.dispose()
    except BaseException as exc:
        ledger.finish_run(conn, run_id, status="failed",
                          reason=f"stamping failed: {type(exc).__name__}")
        raise
    ledger.finish_run(conn, run_id, status="passed", checks=checks,
                      fingerprint_after=take_snapshot(conn).fingerprint)
    pending = [r.id for r in candidate.adoptions]
    notes = [f"{name} is now at revision {revision}; the revisions after it are pending"]
    if pending:
        notes.append(f"adoption revision {', '.join(pending)} will run as a no-op on {name}")
    return Report(
        command="baseline",
        title=f"baseline {name}: adopted at revision {revision} (run #{run_id})",
        sections=(_tried_section(attempts),),
        data={"environment": name, "revision": revision, "adoption_revisions": pending,
              "run_id": run_id, "tried": _tried(attempts)},
        notes=tuple(notes),
    )


def _refusal(name: str, closest: Attempt, attempts: list[Attempt]) -> Report:
    """Report the differences from the closest candidate; nothing was changed."""
    return Report(
        command="baseline",
        title=f"baseline {name}: no revision matches; closest is {closest.candidate.name} "
        f"({closest.size} differences); nothing was changed",
        findings=tuple(_difference_findings(name, closest, Severity.ERROR)),
        sections=(_tried_section(attempts),),
        data={"environment": name, "revision": None,
              "closest": closest.candidate.revision.id, "tried": _tried(attempts),
              "differences": _lines(name, closest)},
        notes=(f"undo the hand-made changes, or write them into an adoption revision: "
               f"nivomigrate baseline {name} --write-revision",),
    )


def _difference_findings(name: str, attempt: Attempt, severity: Severity) -> list[Finding]:
    return baseline_match.findings(name, attempt.candidate.name, attempt.difference, severity)


def _lines(name: str, attempt: Attempt) -> list[str]:
    return [text for _, text in attempt.difference.entries(attempt.candidate.name, name)]


def _tried(attempts: list[Attempt]) -> list[dict]:
    return [{"revision": a.candidate.revision.id,
             "adoption_revisions": [r.id for r in a.candidate.adoptions],
             "differences": a.size} for a in attempts]


def _tried_section(attempts: list[Attempt]) -> Section:
    rows = tuple((a.candidate.name, str(a.size)) for a in attempts)
    return Section("Schemas compared", ("schema", "differences"), rows)


def _write_adoption(settings: Settings, name: str, target: Target, closest: Attempt,
                    attempts: list[Attempt], server: LocalServer) -> Report:
    """Write an adoption revision turning the closest candidate's schema into the database's,
    then build it in the shadow server: exit 3 naming what failed, when it fails."""
    from nivomigrate.engine.build import schema_at
    from nivomigrate.engine.diff import diff_sql

    candidate = closest.candidate
    extra_sql = adoption_sql(settings.versions_dir, candidate.adoptions)
    with schema_at(settings, candidate.revision.id, server, extra_sql=extra_sql) as shadow:
        upgrade = [idempotent(s) for s in split_statements(diff_sql(shadow, target))]
        downgrade = [idempotent(s) for s in split_statements(diff_sql(target, shadow))]
    revision_id = migrations.next_revision_id(settings.versions_dir)
    path = settings.versions_dir / f"{revision_id}_adopt_{_slug(name)}_changes.py"
    path.write_text(render_adoption_revision(
        revision=revision_id, down_revision=migrations.head(settings.versions_dir),
        adopts=candidate.revision.id, environment=name, differences=_lines(name, closest),
        upgrade=upgrade, downgrade=downgrade,
    ))
    problems = verify_adoption(settings, server, candidate, upgrade, target)
    problems += _build_written(settings, server, revision_id, path)
    return Report(
        command="baseline",
        title=f"baseline {name}: wrote adoption revision {revision_id} ({path.name}) "
        f"for {closest.size} differences from {candidate.name}; nothing was changed in {name}",
        findings=tuple(_difference_findings(name, closest, Severity.INFO) + problems),
        sections=(_tried_section(attempts),
                  Section(f"Upgrade of {path.name}", text=";\n\n".join(upgrade) + ";",
                          language="sql")),
        data={"environment": name, "revision": None, "written": str(path),
              "adoption_revision": revision_id, "adopts": candidate.revision.id,
              "tried": _tried(attempts)},
        notes=(f"edit {path} until it builds, or delete it" if problems else
               f"review and commit {path}, then run `nivomigrate baseline {name}` again",),
    )


def _build_written(settings: Settings, server: LocalServer, revision_id: str,
                   path: Path) -> list[Finding]:
    """Build every revision up to the written one in the shadow server, as apply will."""
    from nivomigrate.errors import MigrationError

    try:
        ensure_template(server.admin_url, settings.versions_dir, revision_id,
                        server.platform_template)
    except MigrationError as exc:
        return [baseline_match.build_failure(exc.message, exc.hint, str(path))]
    return []


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "database"
