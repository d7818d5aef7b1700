"""Doctor: is each environment usable, and for which commands?

Per environment: where its URL came from, the kind of connection (direct, or a session pooler
allowed by the configuration), each session setting with its source, and what the role may
do, one line per privilege a command needs, naming the command that would fail without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.db import check_url, open_session, target_for
from nivomigrate.errors import NivoError, RefusedConnectionError, first_exit_code
from nivomigrate.findings import Finding, Location, Report, Section, Severity

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.db import Session

# Exit code when a command would fail for want of a privilege the writing role must have.
_PRIVILEGE_EXIT_CODE = 1

_ROLE_SQL = """
select current_user,
       has_schema_privilege('public', 'CREATE'),
       (select count(*) from pg_tables where schemaname = 'public'),
       (select count(*) from pg_tables where schemaname = 'public'
          and pg_has_role(tableowner, 'USAGE')),
       current_setting('server_version_num')::int / 10000
"""
_PRIVILEGES_SQL = """
select has_database_privilege(current_database(), 'CONNECT'),
       has_database_privilege(current_database(), 'CREATE'),
       (select pg_has_role(nspowner, 'USAGE') or has_schema_privilege(oid, 'CREATE')
          from pg_namespace where nspname = 'nivomigrate'),
       (select string_agg(distinct tableowner, ', ') from pg_tables
          where schemaname = 'public' and not pg_has_role(tableowner, 'USAGE')),
       r.rolsuper or pg_has_role('pg_read_all_stats', 'USAGE'),
       has_function_privilege('pg_current_wal_lsn()', 'EXECUTE'), r.rolreplication
from pg_roles r where r.rolname = current_user
"""


@dataclass(frozen=True)
class Privilege:
    """One thing a command needs of the role: whether it has it, and who fails without."""

    what: str
    holds: bool
    shown: str
    fails: str
    needed_for_writes: bool = True


def examine(settings: Settings) -> Report:
    """Return, per environment: URL source, kind, answer, version, revision, session settings
    and privileges."""
    from nivomigrate.db import SessionSettings

    rows, findings, codes, majors, settings_rows, privilege_rows = [], [], [], {}, [], []
    session = SessionSettings.from_timeouts(settings.timeouts)
    for name, environment in settings.environments.items():
        row, found, code, major, session_rows, privileges = _examine(environment, session)
        rows.append(row)
        majors[name] = major
        findings += found
        codes += [code] if found else []
        settings_rows += session_rows
        privilege_rows += privileges
    shadow = _shadow_findings(settings, majors)
    findings += shadow
    codes += [4 for finding in shadow if finding.is_blocking]  # the shadow cannot be used
    replica_rows, replica_findings = _replica(settings)
    findings += replica_findings
    codes += [f.exit_code for f in replica_findings if f.is_blocking]
    sections = [Section("Environments", ("environment", "database", "url from", "kind",
                                         "answers", "server", "revision", "role may"),
                        tuple(rows))]
    if settings_rows:
        sections.append(Section("Session settings", ("environment", "setting", "value",
                                                     "from"), tuple(settings_rows)))
    if privilege_rows:
        sections.append(Section("Privileges", ("environment", "needs", "status",
                                               "what fails without it"), tuple(privilege_rows)))
    if replica_rows:
        sections.append(Section("Read replica (studio)", ("environment", "reaches", "user",
                                                          "member of", "may write", "replay"),
                                tuple(replica_rows)))
    notes = tuple(f"next for {row[0]}: {row[6].rsplit(': ', 1)[1]}" for row in rows
                  if row[6].startswith("none"))
    return Report(command="doctor", title="nivomigrate doctor", sections=tuple(sections),
                  findings=tuple(findings), notes=notes, exit_code=first_exit_code(codes))


def _replica(settings: Settings):
    """The read replica of each environment: read-only proven, its user, its replay lag."""
    from nivomigrate.replica import replica_rows_and_findings

    return replica_rows_and_findings(settings)


def _examine(environment, settings):
    database = "-"
    try:
        target = target_for(environment)
        database = check_url(target).where
    except NivoError as exc:
        return ((environment.name, database, environment.source, "refused", "-", "-", "-", "-"),
                [_finding(environment.name, exc)], exc.exit_code, None, [], [])
    try:
        session, read_only = _connect(target, settings)
    except NivoError as exc:
        answers = "refused" if isinstance(exc, RefusedConnectionError) else "no"
        return ((environment.name, database, environment.source, "direct", answers, "-", "-",
                 "-"),
                [_finding(environment.name, exc)], exc.exit_code, None, [], [])
    with session.conn as conn:
        user, can_create, tables, owned, major = conn.execute(_ROLE_SQL).fetchone()
        revision = _revision(conn)
        version = conn.execute("show server_version").fetchone()[0]
        privileges = _privileges(conn, user)
    may = (f"{user}: {'create in public' if can_create else 'no CREATE in public'}, "
           f"owns {owned}/{tables} tables" + (", read-only session" if read_only else ""))
    kind = "session pooler (allowed)" if session.through_pooler else "direct"
    if read_only:
        kind += ", read-only (plan/diff/coverage only)"
    missing = [p for p in privileges if not p.holds and p.needed_for_writes and not read_only]
    found = [_privilege_finding(environment.name, user, p) for p in missing]
    return ((environment.name, database, environment.source, kind, "yes", version,
             revision or _unversioned_next(environment, tables), may),
            found, _PRIVILEGE_EXIT_CODE, major, _setting_rows(environment.name, session),
            [(environment.name, p.what, p.shown, p.fails)
             for p in privileges])


def _unversioned_next(environment, tables: int) -> str:
    """The revision cell of a database without one: the command to run next."""
    if tables:
        return f"none: {tables} tables to adopt: nivomigrate baseline {environment.name}"
    command = "promote" if environment.promoted_from else "apply"
    return f"none, empty: nivomigrate {command} {environment.name}"


def _revision(conn) -> str | None:
    """The database's revision; a role that may not read alembic_version is said so."""
    import psycopg

    try:
        return migrations.current_revision(conn)
    except psycopg.errors.InsufficientPrivilege:
        return "unreadable by this role"


def _connect(target, settings) -> tuple[Session, bool]:
    """Connect as a writing command would; a read-only session is retried as a reading one."""
    try:
        return open_session(target, writes=True, session=settings), False
    except RefusedConnectionError as exc:
        if "read-only" not in exc.message:
            raise
        return open_session(target, writes=False, session=settings), True


def _setting_rows(name: str, session: Session) -> list[tuple[str, ...]]:
    from nivomigrate.urls import DROPPED_PARAMETERS

    rows = [(name, s.name, s.value, s.source) for s in session.settings]
    rows += [(name, f"URL parameter {key}", value, f"not for libpq: {DROPPED_PARAMETERS[key]}")
             for key, value in session.url.prisma.items() if key != "schema"]
    if not any(s.name == "default_transaction_read_only" for s in session.settings):
        rows.append((name, "default_transaction_read_only", "on (reading commands only)",
                     "nivomigrate (plan, diff, lint, coverage, status, history)"))
    return rows


def _privileges(conn, user: str) -> list[Privilege]:
    (may_connect, create_in_database, ledger_schema, others_own, sees_activity, wal_position,
     replication) = conn.execute(_PRIVILEGES_SQL).fetchone()
    if ledger_schema is None:
        ledger = Privilege("CREATE on the database (the ledger schema nivomigrate)",
                           bool(create_in_database),
                           "yes" if create_in_database else "no",
                           "apply/promote/baseline: CREATE SCHEMA nivomigrate")
    else:
        ledger = Privilege("the ledger schema nivomigrate (exists)", bool(ledger_schema),
                           "usable" if ledger_schema else "exists, not usable by this role",
                           "apply/promote: INSERT INTO nivomigrate.runs")
    return [
        Privilege("CONNECT on the database", bool(may_connect), "yes" if may_connect else "no",
                  "every command: connect"),
        ledger,
        Privilege("ownership of the managed tables (public)", others_own is None,
                  "owns them all" if others_own is None else f"some owned by {others_own}",
                  "apply/promote: ALTER TABLE on tables another role owns"),
        Privilege("other sessions visible in pg_stat_activity", bool(sees_activity),
                  "all" if sees_activity else "limited: not superuser nor pg_read_all_stats",
                  "lock blockers of other roles named by pid only (no query, no state)",
                  needed_for_writes=False),
        Privilege("WAL position for promote's restore point", bool(wal_position),
                  "pg_current_wal_lsn() allowed" + (", replication role" if replication else ""),
                  "promote: the restore point records the time only",
                  needed_for_writes=False),
    ]


def _privilege_finding(name: str, user: str, privilege: Privilege) -> Finding:
    return Finding(check="privilege", severity=Severity.ERROR,
                   message=f"{name}: role {user} lacks {privilege.what}; {privilege.fails} "
                   "would fail",
                   location=Location(object=name), environment=name,
                   help="grant it (e.g. GRANT CREATE ON DATABASE ... TO the role), or use the "
                   "role that owns the schema")


def _finding(name: str, exc: NivoError) -> Finding:
    return Finding(check="connection", severity=Severity.ERROR, message=exc.message,
                   location=Location(object=name), help=exc.hint, environment=name)


def _shadow_findings(settings: Settings, majors: dict) -> list[Finding]:
    from nivomigrate.engine.build import shadow_server
    from nivomigrate.shadow import admin_connection

    known = {m for m in majors.values() if m}
    try:
        server = shadow_server(settings, preferred_major=max(known) if known else None)
        with admin_connection(server.admin_url) as conn:
            major = int(conn.execute("show server_version_num").fetchone()[0]) // 10000
    except NivoError as exc:
        return [Finding("shadow", Severity.ERROR, f"the shadow server is not usable: {exc.message}",
                        Location(object="shadow"), exc.hint)]
    return [Finding("shadow", Severity.WARNING,
                    f"the shadow server runs PostgreSQL {major}, {name} runs {env_major}",
                    Location(object="shadow"),
                    "set NIVOMIGRATE_SHADOW_URL to a server of the same major version")
            for name, env_major in majors.items() if env_major and env_major != major]
