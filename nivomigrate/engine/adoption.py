"""Adopt an existing database (made by Prisma, changed by hand) at the revision it matches.

The database's schema is compared with the schema of each revision, built in the shadow
server, newest first: a match is stamped (alembic_version) and recorded in the ledger as a
`baseline` run, so later checksum checks know the revisions it counts as applied. Nothing is
changed when no revision matches; the differences from the closest revision are reported.

Hand-made changes become history through an *adoption revision*: a revision that says
`adopts = "<C>"` and whose upgrade turns the schema at C into the database's with idempotent
SQL. `--write-revision` writes one for review. Once it is committed, the database matches
"C plus that revision's SQL": it is stamped at C, and the revision later runs there as a no-op
while it makes the change on every database built from the revisions. Until then the drift
check expects the same schema (`pending_adoption_sql`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import ledger, migrations
from nivomigrate.checks import baseline_match
from nivomigrate.db import Target, connection
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.shadow import LocalServer
    from nivomigrate.snapshot import SchemaDiff, Snapshot

ADOPTION_MARKER = "adopts"


@dataclass(frozen=True)
class Candidate:
    """A schema the database may have: `revision`, plus the SQL of adoption revisions of it."""

    revision: migrations.Revision
    adoptions: tuple[migrations.Revision, ...] = ()

    @property
    def name(self) -> str:
        if not self.adoptions:
            return f"revision {self.revision.id}"
        ids = ", ".join(r.id for r in self.adoptions)
        return f"revision {self.revision.id} + adoption revision {ids}"


@dataclass(frozen=True)
class Attempt:
    """One candidate compared with the database (`difference` reads expected → actual)."""

    candidate: Candidate
    difference: SchemaDiff

    @property
    def size(self) -> int:
        d = self.difference
        return len(d.added) + len(d.removed) + len(d.changed)


def schema_objects(conn: psycopg.Connection) -> list[str]:
    """Return the keys of the schema objects a database holds besides bare schemas, their
    grants (PostgreSQL 15 grants USAGE on public to PUBLIC), default privileges and
    extensions: empty for a database that no revision has touched yet."""
    from nivomigrate.snapshot import take_snapshot

    return [key for key in take_snapshot(conn).objects
            if not key.startswith(("schema ", "extension ", "grant on schema ",
                                   "default_privileges "))]


# --- candidates ------------------------------------------------------------------------------

def adoption_revisions(versions_dir: Path) -> dict[str, list[migrations.Revision]]:
    """Return the adoption revisions by the revision they adopt, in order of application."""
    script = migrations.script_directory(versions_dir)
    adopted: dict[str, list[migrations.Revision]] = {}
    for revision in migrations.revisions(versions_dir):
        module = script.get_revision(revision.id).module
        adopts = getattr(module, ADOPTION_MARKER, None)
        if isinstance(adopts, str):
            adopted.setdefault(adopts, []).append(revision)
    return adopted


def adoption_candidates(settings: Settings, chain: list[migrations.Revision],
                revision: str | None) -> list[Candidate]:
    """Return the schemas to try: newest revision first, each alone then with its adoptions."""
    ids = [r.id for r in chain]
    if revision is not None and revision not in ids:
        raise ConfigError(f"unknown revision {revision!r}",
                          hint=f"use one of: {', '.join(ids) or '(no revisions)'}")
    if not chain:
        raise ConfigError(f"no revisions in {settings.versions_dir}",
                          hint="write the baseline revision first")
    adopted = adoption_revisions(settings.versions_dir)
    candidates = []
    for base in reversed(chain):
        if revision is None or base.id == revision:
            candidates.append(Candidate(base))
            if base.id in adopted:
                candidates.append(Candidate(base, tuple(adopted[base.id])))
    return candidates


def adoption_sql(versions_dir: Path, adoptions: tuple[migrations.Revision, ...]) -> str | None:
    """Return the upgrade SQL of adoption revisions, rendered offline; None when there are none."""
    if not adoptions:
        return None
    return "\n".join(migrations.render_sql(versions_dir, r).sql for r in adoptions)


def compare_all(settings: Settings, conn: psycopg.Connection, candidates: list[Candidate],
                server: LocalServer) -> list[Attempt]:
    """Compare the database with each candidate, stopping at the first that matches."""
    from nivomigrate.snapshot import compare, take_snapshot

    actual = take_snapshot(conn)
    attempts = []
    for candidate in candidates:
        difference = compare(_expected(settings, server, candidate), actual)
        attempts.append(Attempt(candidate, difference))
        if difference.is_empty:
            break
    return attempts


def _expected(settings: Settings, server: LocalServer, candidate: Candidate) -> Snapshot:
    extra_sql = adoption_sql(settings.versions_dir, candidate.adoptions)
    return _schema_snapshot(settings, candidate.revision.id, extra_sql, server)


def _schema_snapshot(settings: Settings, revision: str | None, extra_sql: str | None,
                     server: LocalServer | None = None) -> Snapshot:
    """Return the snapshot of the schema at `revision` plus `extra_sql`, built in the shadow."""
    from nivomigrate.engine.build import schema_at, snapshot_at
    from nivomigrate.snapshot import take_snapshot

    if not extra_sql:
        return snapshot_at(settings, revision, server)
    with schema_at(settings, revision, server, extra_sql=extra_sql) as shadow, \
            connection(shadow, writes=False) as shadow_conn:
        return take_snapshot(shadow_conn)


# --- outcomes --------------------------------------------------------------------------------


# --- writing an adoption revision ------------------------------------------------------------


def verify_adoption(settings: Settings, server: LocalServer, candidate: Candidate,
                     upgrade: list[str], target: Target) -> list[Finding]:
    """Check in the shadow server that the upgrade reproduces the database and re-runs cleanly."""
    import psycopg

    from nivomigrate.engine.build import schema_at
    from nivomigrate.snapshot import compare, take_snapshot

    extra_sql = adoption_sql(settings.versions_dir, candidate.adoptions)
    with schema_at(settings, candidate.revision.id, server, extra_sql=extra_sql) as shadow, \
            connection(shadow, writes=True) as shadow_conn:
        problems = []
        for attempt in ("first", "second"):
            for statement in upgrade:
                try:
                    shadow_conn.execute(statement)
                except psycopg.Error as exc:
                    problems.append(f"on its {attempt} run, {statement.splitlines()[0]} failed: "
                                    f"{str(exc).strip().splitlines()[0]}")
        with connection(target, writes=False) as actual_conn:
            difference = compare(take_snapshot(shadow_conn), take_snapshot(actual_conn))
    if not difference.is_empty:
        problems.append("it does not reproduce the database exactly: "
                        + difference.summary("the revision", "the database"))
    return [baseline_match.needs_editing(problem) for problem in problems]


def split_statements(sql: str) -> list[str]:
    """Split the diff's SQL into statements (sqlparse: a `;` in a body never splits it)."""
    from nivomigrate.sql import split_texts
    return split_texts(sql)


_NAME = r'(?:"(?:[^"]|"")*"|[\w$]+)(?:\.(?:"(?:[^"]|"")*"|[\w$]+))*'
# (pattern, replacement) applied to the start of one statement, case-insensitively.
_IDEMPOTENT_FORMS = (
    (rf"^(alter\s+table\s+(?:only\s+)?{_NAME}\s+add\s+column)\s+(?!if\s+not\s+exists)",
     r"\1 if not exists "),
    (rf"^(alter\s+table\s+(?:only\s+)?{_NAME}\s+drop\s+(?:column|constraint))\s+(?!if\s+exists)",
     r"\1 if exists "),
    (r"^(create\s+(?:unique\s+)?index(?:\s+concurrently)?)\s+(?!if\s+not\s+exists)",
     r"\1 if not exists "),
    (r"^(create\s+(?:unlogged\s+)?(?:table|sequence|schema|extension))\s+(?!if\s+not\s+exists)",
     r"\1 if not exists "),
    (r"^(drop\s+(?:index(?:\s+concurrently)?|table|sequence|view|materialized\s+view|type"
     r"|domain|function|procedure|extension|schema|trigger|policy))\s+(?!if\s+exists)",
     r"\1 if exists "),
    (r"^create\s+(view|function|procedure|trigger)\b", r"create or replace \1"),
    (rf"^(alter\s+type\s+{_NAME}\s+add\s+value)\s+(?!if\s+not\s+exists)", r"\1 if not exists "),
)
# Statements without an IF [NOT] EXISTS form: run in a block that ignores "already exists".
_WRAPPED = re.compile(
    rf"^(?:alter\s+table\s+(?:only\s+)?{_NAME}\s+add\s+constraint|create\s+type|create\s+domain"
    r"|create\s+policy)\b", re.IGNORECASE)


def idempotent(statement: str) -> str:
    """Return `statement` in a form that does nothing when its change is already there.

    ADD COLUMN, CREATE INDEX/TABLE/SEQUENCE get IF NOT EXISTS, DROPs get IF EXISTS, CREATE
    VIEW/FUNCTION/TRIGGER become CREATE OR REPLACE, and ADD CONSTRAINT, CREATE TYPE/DOMAIN/POLICY
    run in a DO block that ignores duplicate_object and duplicate_table. Anything else (ALTER
    COLUMN ... SET/DROP/TYPE) is left as it is: running it again changes nothing.
    """
    text = statement.strip().rstrip(";").strip()
    if _WRAPPED.match(text):
        return ("DO $adopt$ BEGIN\n    " + text.replace("\n", "\n    ") + ";\n"
                "EXCEPTION WHEN duplicate_object OR duplicate_table THEN NULL;\nEND $adopt$")
    for pattern, replacement in _IDEMPOTENT_FORMS:
        text, count = re.subn(pattern, replacement, text, count=1, flags=re.IGNORECASE)
        if count:
            break
    return text


# SQLAlchemy's text() reads ":name" as a bound parameter (its BIND_PARAMS pattern).
_BIND_PARAMETER = re.compile(r"(?<![:\w$\\]):([\w$]+)(?![:\w$])")

_ADOPTION_TEMPLATE = '''"""Adopt {environment}'s hand-made changes (written by baseline, review it).

Written by `nivomigrate baseline {environment} --write-revision` for review. {environment} has
the schema of revision {adopts} plus changes made by hand; baseline stamps it at {adopts}, and
this revision then runs there as a no-op (every statement is idempotent), while on databases
built from the revisions it makes the same change. Keep what belongs in the schema, commit the
file, then run `nivomigrate baseline {environment}` again. Drops in UPGRADE remove objects of
revision {adopts} that {environment} does not have: check they are meant. The gate checks
this revision like any other (`nivomigrate lint`): a plain CREATE INDEX, for one, needs an
acknowledgement comment for require-concurrent-index-creation (docs/safety.md,
"Acknowledgements and waivers"); a function {environment} has that runs EXECUTE comes with a
dynamic-sql acknowledgement below: read what it runs before you commit.

Differences from revision {adopts}:
{differences}

Revision ID: {revision}
Revises: {revises}
Create Date: {created}
"""

from alembic import op
{acknowledgements}
revision = "{revision}"
down_revision = {down_revision}
branch_labels = None
depends_on = None
# Read by `nivomigrate baseline` and the drift check: {environment} matched revision {adopts}
# plus this revision's UPGRADE, so it is stamped at {adopts}.
{marker} = "{adopts}"

UPGRADE = ({upgrade}
)

DOWNGRADE = ({downgrade}
)


def upgrade() -> None:
    """Make {environment}'s hand-made changes; a no-op where they are already made."""
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    """Undo them, back to the schema of revision {adopts}."""
    for statement in DOWNGRADE:
        op.execute(statement)
'''


def render_adoption_revision(*, revision: str, down_revision: str | None, adopts: str,
                             environment: str, differences: list[str], upgrade: list[str],
                             downgrade: list[str]) -> str:
    """Return the text of an adoption revision file."""
    return _ADOPTION_TEMPLATE.format(
        environment=environment, adopts=adopts, revision=revision, revises=down_revision or "",
        down_revision=f'"{down_revision}"' if down_revision else "None",
        created=date.today().isoformat(), marker=ADOPTION_MARKER,
        differences="\n".join(f"- {line}" for line in differences) or "- (none)",
        upgrade=_python_strings(upgrade), downgrade=_python_strings(downgrade),
        acknowledgements=_dynamic_sql_acknowledgements(upgrade, environment),
    )


def _dynamic_sql_acknowledgements(statements: list[str], environment: str) -> str:
    """One `ack dynamic-sql` line per function (or DO block) of `statements` that runs EXECUTE:
    copied from `environment`, where it exists already, for the reviewer to read."""
    from nivomigrate.checks.dynamic_sql import NAME, dynamic_subject

    subjects = dict.fromkeys(s for s in map(dynamic_subject, statements) if s)
    return "".join(f'# nivomigrate: ack {NAME} "{subject}" -- copied from {environment} as it '
                   "is there (baseline --write-revision); review what it EXECUTEs\n"
                   for subject in subjects)


def _python_strings(statements: list[str]) -> str:
    rendered = []
    for statement in statements:
        statement = _BIND_PARAMETER.sub(r"\\:\1", statement)
        if '"""' in statement or "\\" in statement:
            rendered.append(f"\n    {statement!r},")
        else:
            body = statement.replace("\n", "\n    ")
            rendered.append(f'\n    """\n    {body}\n    """,')
    return "".join(rendered)


# --- drift -----------------------------------------------------------------------------------

def expected_snapshot(settings: Settings, conn: psycopg.Connection,
                      current: str | None) -> Snapshot:
    """Return the schema a database at `current` should have (the drift check's expectation).

    The schema at `current`, plus the SQL of the adoption revisions its baseline run counted
    on (`pending_adoption_sql`).
    """
    return _schema_snapshot(settings, current, pending_adoption_sql(settings, conn, current))


def pending_adoption_sql(settings: Settings, conn: psycopg.Connection,
                         current: str | None) -> str | None:
    """Return the SQL of the adoption revisions a database at `current` already has, or None.

    Those named by its last passed baseline run at `current` (`checks`: adoption_revision,
    adopted_at): the database has their changes although they have not run yet.
    """
    if current is None:
        return None
    run = ledger.last_passed_run(conn, current, kinds=("baseline",))
    if run is None:
        return None
    named = {entry.get("adoption_revision") for entry in run.checks
             if entry.get("adopted_at") == current}
    adoptions = tuple(r for r in migrations.revisions(settings.versions_dir) if r.id in named)
    return adoption_sql(settings.versions_dir, adoptions)
