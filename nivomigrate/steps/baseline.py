"""Adopt an existing database (made by Prisma, changed by hand) at the revision it matches.

The comparison and the adoption revision are the engine's (`engine/adoption.py`); this module
stamps, refuses or writes, and reports.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
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
from nivomigrate.engine.identity import require_distinct
from nivomigrate.engine.privileges import require_ledger_rights
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Location, Report, Section, Severity

if TYPE_CHECKING:
    from pathlib import Path

    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.shadow import LocalServer



def adopt(settings: Settings, env: str, *, revision: str | None = None,
          write_revision: bool = False, allow_drop: bool = False) -> Report:
    """Stamp an unversioned database at the revision whose schema it has, and record it.

    Args:
        revision: try only this revision (with its adoption revisions); default all, newest
            first.
        write_revision: when none matches, write an adoption revision for the closest one
            (nothing changes in the database). It is refused (exit 1, nothing written) when
            its UPGRADE would drop something and `allow_drop` is not set, and always when it
            would drop a table that holds rows in a configured environment.

    Returns:
        A report whose exit code is 0 (stamped, or a revision written that builds in the
        shadow server and reproduces the database), 1 (the revision to write was refused:
        nothing written) or 3 (no revision matches: a summary of the differences is the
        findings, and nothing was changed; or the written revision does not build or
        reproduce: what failed is the findings).

    Raises:
        ConfigError: the database is empty (run apply) or already has a revision, the role
            may not keep the ledger, or `revision` is unknown.
        LockHeldError: another run holds the database's lock.
    """
    environment = settings.environment(env)
    target = target_for(environment)
    chain = migrations.revisions(settings.versions_dir)
    candidates = adoption_candidates(settings, chain, revision)
    session = SessionSettings.from_timeouts(settings.timeouts)
    with connection(target, writes=True, session=session) as conn:
        require_distinct(settings, environment.name, conn)
        _refuse_if_versioned(conn, environment.name)
        _refuse_if_empty(conn, environment)
        ledger.take_lock(conn, environment.name)
        _refuse_if_versioned(conn, environment.name)
        require_ledger_rights(conn, environment.name)
        server = shadow_server(settings, platform_from=target)
        attempts = compare_all(settings, conn, candidates, server)
        match = next((a for a in attempts if a.size == 0), None)
        if match is not None:
            return _stamp(settings, environment.name, target, conn, match.candidate, attempts)
        closest = min(attempts, key=lambda attempt: attempt.size)
        if write_revision:
            return _write_adoption(settings, environment.name, target, closest, attempts,
                                   server, allow_drop)
        return _refusal(environment.name, closest, attempts)


def _refuse_if_empty(conn: psycopg.Connection, environment) -> None:
    """An empty database has nothing to adopt: the revisions create it."""
    from nivomigrate.engine.adoption import schema_objects

    if schema_objects(conn):
        return
    todo = (f"nivomigrate apply {environment.promoted_from}, then nivomigrate promote "
            f"{environment.name}" if environment.promoted_from
            else f"nivomigrate apply {environment.name}")
    raise ConfigError(f"{environment.name} is empty: there is nothing to adopt",
                      hint=f"the revisions create its schema: run `{todo}`")


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


SHOWN_LINES = 20


def _difference_findings(name: str, attempt: Attempt, severity: Severity) -> list[Finding]:
    """One finding per difference for the first SHOWN_LINES, then one that counts the rest
    by kind: thousands of lines help nobody."""
    findings = baseline_match.findings(name, attempt.candidate.name, attempt.difference,
                                       severity)
    if len(findings) > SHOWN_LINES:
        lines = _lines(name, attempt)
        findings = findings[:SHOWN_LINES] + [replace(
            findings[0], location=Location(object=name),
            message=f"{name} differs from {attempt.candidate.name} in {len(lines)} ways, "
            f"{len(lines) - SHOWN_LINES} more than shown: {_counts(lines)}")]
    return findings


def _counts(lines: list[str]) -> str:
    """Count difference lines by kind and side: `39 tables only in revision 0001, ...`."""
    from collections import Counter

    counts = Counter()
    for line in lines:
        kind = line.split(" ", 1)[0]
        side = ("differ" if " differs (" in line
                else "only in " + line.rsplit(" only in ", 1)[-1])
        counts[(kind, side)] += 1
    return ", ".join(f"{count} {kind}{'s' if count > 1 else ''} {side}"
                     for (kind, side), count in counts.most_common())


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
                    attempts: list[Attempt], server: LocalServer, allow_drop: bool) -> Report:
    """Write an adoption revision turning the closest candidate's schema into the database's,
    unless it would drop what it must not (then nothing is written); then build it in the
    shadow server: exit 3 naming what failed, when it fails."""
    from nivomigrate.engine.build import schema_at
    from nivomigrate.engine.diff import diff_sql

    candidate = closest.candidate
    extra_sql = adoption_sql(settings.versions_dir, candidate.adoptions)
    with schema_at(settings, candidate.revision.id, server, extra_sql=extra_sql) as shadow:
        upgrade = [idempotent(s) for s in split_statements(diff_sql(shadow, target))]
        downgrade = [idempotent(s) for s in split_statements(diff_sql(target, shadow))]
    refusals = _drop_refusals(settings, name, upgrade, allow_drop)
    if refusals:
        return _refused_revision(name, closest, attempts, refusals, upgrade)
    revision_id = migrations.next_revision_id(settings.versions_dir)
    path = settings.versions_dir / f"{revision_id}_adopt_{_slug(name)}_changes.py"
    path.write_text(render_adoption_revision(
        revision=revision_id, down_revision=migrations.head(settings.versions_dir),
        adopts=candidate.revision.id, environment=name, differences=_lines(name, closest),
        upgrade=upgrade, downgrade=downgrade,
    ))
    problems = verify_adoption(settings, server, candidate, upgrade, target)
    problems += _build_written(settings, server, revision_id, path)
    declarations, declaration_problems = (None, []) if problems else _declare_adopted(
        settings, server, name, revision_id)
    written = [path] + ([declarations] if declarations else [])
    return Report(
        command="baseline",
        title=f"baseline {name}: wrote adoption revision {revision_id} ({path.name}) "
        f"for {closest.size} differences from {candidate.name}; nothing was changed in {name}",
        findings=tuple(_difference_findings(name, closest, Severity.INFO) + problems
                       + declaration_problems),
        sections=(_tried_section(attempts), _upgrade_section(path.name, upgrade)),
        data={"environment": name, "revision": None, "written": str(path),
              "adoption_revision": revision_id, "adopts": candidate.revision.id,
              "tried": _tried(attempts),
              "declarations": str(declarations) if declarations else None},
        notes=(f"edit {path} until it builds, or delete it" if problems else
               f"review and commit {' and '.join(map(str, written))}, then run "
               f"`nivomigrate baseline {name}` again",),
    )


def _declare_adopted(settings: Settings, server, name: str,
                     revision_id: str) -> tuple[Path | None, list[Finding]]:
    """Write the model declarations of the adopted objects, read at the new head."""
    from nivomigrate.engine.build import schema_at
    from nivomigrate.engine.declarations import write_declarations
    from nivomigrate.engine.models import models_database
    from nivomigrate.errors import MigrationError
    from nivomigrate.models import models_directory

    try:
        with schema_at(settings, revision_id, server) as shadow, \
                models_database(settings, server) as (models, _):
            return write_declarations(shadow, models, environment=name, revision=revision_id,
                                      directory=models_directory(settings)), []
    except MigrationError as exc:
        return None, [Finding(
            check=baseline_match.NAME, severity=Severity.WARNING,
            message=f"the adopted objects' model declarations were not written: {exc.message}",
            location=Location(object="adoption revision"),
            help="edit the adoption revision, then declare its objects beside the models")]



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


def _upgrade_section(title: str, upgrade: list[str]) -> Section:
    """The first SHOWN_LINES statements of the upgrade, and how many more the file holds."""
    shown = ";\n\n".join(upgrade[:SHOWN_LINES]) + ";"
    if len(upgrade) > SHOWN_LINES:
        shown += f"\n\n-- ... and {len(upgrade) - SHOWN_LINES} more statements"
    return Section(f"Upgrade of {title} ({len(upgrade)} statements)", text=shown,
                   language="sql")


def _drop_refusals(settings: Settings, name: str, upgrade: list[str],
                   allow_drop: bool) -> list[Finding]:
    """Refuse the drops of an adoption revision: every drop without --allow-drop, and a drop
    of a table that holds rows in any configured environment always (the revision runs for
    real on every database built from the revisions)."""
    drops = [s for s in upgrade if re.match(r"(?is)\s*(drop\b|alter\s+table\s+.*\sdrop\s)", s)]
    if not drops:
        return []
    findings = [
        Finding(check=baseline_match.NAME, severity=Severity.ERROR,
                message=f"the adoption revision would drop a table holding {rows}: {table} "
                f"({environment})",
                location=Location(object=table), environment=environment,
                help=f"{name} lacks it: create it in {name} (or adopt {name} at another "
                "revision); data is never dropped by an adoption revision")
        for table, environment, rows in _tables_with_rows(settings, drops)
    ]
    if not allow_drop:
        findings.append(Finding(
            check=baseline_match.NAME, severity=Severity.ERROR,
            message=f"the adoption revision would drop {len(drops)} object(s) {name} lacks, "
            f"first: {drops[0].splitlines()[0]}",
            location=Location(object=name), environment=name,
            help="check that each drop is meant, then re-run with --allow-drop; or create "
            f"the objects in {name}"))
    return findings


def _tables_with_rows(settings: Settings, drops: list[str]) -> list[tuple[str, str, str]]:
    """Return (table, environment, "rows") for each dropped table that holds rows in a
    configured environment (read-only sessions; environments without a URL are skipped)."""
    from psycopg import sql

    names = [m.group(1) for s in drops
             if (m := re.match(r'(?is)\s*drop\s+table\s+(?:if\s+exists\s+)?(\S+)', s))]
    found = []
    for environment in settings.environments.values():
        if not environment.url or not names:
            continue
        with connection(target_for(environment), writes=False) as conn:
            for name in names:
                row = conn.execute(_TABLE_SQL, (name,)).fetchone()
                if row is None:
                    continue
                query = sql.SQL("select exists (select from {})").format(sql.Identifier(*row))
                if conn.execute(query).fetchone()[0]:
                    found.append((name, environment.name, "rows"))
    return found


_TABLE_SQL = """
select n.nspname, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.oid = to_regclass(%s)
"""


def _refused_revision(name: str, closest: Attempt, attempts: list[Attempt],
                      refusals: list[Finding], upgrade: list[str]) -> Report:
    return Report(
        command="baseline",
        title=f"baseline {name}: refused to write an adoption revision that drops what it "
        f"must not; nothing was written or changed",
        findings=tuple(refusals + _difference_findings(name, closest, Severity.INFO)),
        sections=(_tried_section(attempts), _upgrade_section("the refused revision", upgrade)),
        data={"environment": name, "revision": None, "written": None,
              "closest": closest.candidate.revision.id, "tried": _tried(attempts)},
    )


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "database"
