"""Evidence of live readers before a contract step, read-only: who still reads what it removes.

Three sources, each read where it is true:

- `pg_stat_activity` on prod: the services' sessions connected now, per service and build
  (`application_name = '<service>@<build>'`; without it, the service whose group role the login
  is a member of), since when, and whether the last statement each ran names what the contract
  removes;
- `pg_stat_statements` on prod (Supabase has it): the normalized statements that name a removed
  table or column, per role. Without the extension (or without it preloaded) the evidence is
  "unproven", and said so. PostgreSQL 15's view has no time of last call, so when a statement
  was last seen is what nivomigrate watched: a statement whose `calls` rose since the previous
  reading was seen then; one met for the first time counts as seen at that reading (`Watch`);
- a replay on staging, after the contract: the previous build's statements (staging's
  `pg_stat_statements` by the services' roles, and the reads and writes of the service map),
  each PREPAREd as the service's role (`SET LOCAL ROLE` inside a transaction that is rolled
  back): "column does not exist" or "relation does not exist" is a break, named with the
  statement and the service.

Which statement names a removed column is decided on its tokens (nivomigrate.sql.words), not on
its text: `"Log"."level"` names Log.level, a string literal 'level' does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.phase import Removed
    from nivomigrate.policies.services import ServiceMap

_SESSIONS_SQL = resources.files(__package__).joinpath("live_sessions.sql").read_text()
_STATEMENTS_SQL = resources.files(__package__).joinpath("live_statements.sql").read_text()
_EXTENSION_SQL = ("select n.nspname from pg_extension e join pg_namespace n"
                  " on n.oid = e.extnamespace where e.extname = 'pg_stat_statements'")
_BREAKS = {"42703": "column does not exist", "42P01": "relation does not exist"}
_PREPARABLE = {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "MERGE"}
_REPLAY_LIMIT = 500


@dataclass(frozen=True)
class LiveSession:
    """A session of a service connected now."""

    pid: int
    service: str | None
    build: str | None
    login: str
    connected_since: datetime
    last_statement: str | None
    last_statement_at: datetime | None
    names: tuple[str, ...] = ()  # the removed objects its last statement names


@dataclass(frozen=True)
class ReaderStatement:
    """A normalized statement of prod's pg_stat_statements that names a removed object."""

    role: str
    service: str | None
    queryid: int
    query: str
    calls: int
    names: tuple[str, ...]
    last_seen: datetime | None = None   # set by Watch.observe
    first_seen: bool = False            # met for the first time at this reading


@dataclass(frozen=True)
class ReplayResult:
    """One previous-build statement PREPAREd on staging after the contract."""

    service: str | None
    role: str | None
    source: str              # "staging pg_stat_statements" or "services.yaml"
    statement: str
    outcome: str             # "ok", "break" or "inconclusive"
    error: str | None = None
    as_role: bool = True     # False: SET ROLE was refused, prepared as the connecting user


@dataclass(frozen=True)
class LiveEvidence:
    """What prod and staging say about the readers of `removed`, read at `read_at`."""

    removed: tuple[str, ...]
    read_at: datetime
    sessions: tuple[LiveSession, ...] = ()
    statements: tuple[ReaderStatement, ...] = ()
    has_statements: bool = False          # pg_stat_statements readable on prod
    statements_note: str | None = None    # why it is not
    stats_since: datetime | None = None   # pg_stat_statements_info.stats_reset
    expand_promoted_at: datetime | None = None
    replay: tuple[ReplayResult, ...] = ()
    replay_note: str | None = None

    def builds(self) -> dict[str, list[tuple[str, datetime]]]:
        """Return service -> [(build, connected since)], the oldest connection per build."""
        found: dict[str, dict[str, datetime]] = {}
        for session in self.sessions:
            if session.service is None:
                continue
            builds = found.setdefault(session.service, {})
            build = session.build or "(unnamed build)"
            builds[build] = min(builds.get(build, session.connected_since),
                                session.connected_since)
        return {service: sorted(builds.items(), key=lambda b: b[1])
                for service, builds in found.items()}


@dataclass
class Watch:
    """What one process saw of pg_stat_statements: (role, queryid) -> (calls, last change).

    `promote --until-clear` keeps one across its readings, so that a statement whose calls stop
    rising is seen going quiet."""

    seen: dict[tuple[str, int], tuple[int, datetime]] = field(default_factory=dict)

    def observe(self, statements: list[ReaderStatement], now: datetime) -> list[ReaderStatement]:
        """Return the statements with `last_seen`: now when new or its calls rose, else when
        they last rose."""
        from dataclasses import replace

        observed = []
        for statement in statements:
            key = (statement.role, statement.queryid)
            before = self.seen.get(key)
            if before is None or statement.calls != before[0]:
                self.seen[key] = (statement.calls, now)
            observed.append(replace(statement, last_seen=self.seen[key][1],
                                    first_seen=before is None))
        return observed


def read_evidence(production: psycopg.Connection, staging: psycopg.Connection | None,
                  removed: list[Removed], services: ServiceMap, *,
                  watch: Watch | None = None,
                  expand_promoted_at: datetime | None = None) -> LiveEvidence:
    """Read the sessions and statements on prod and replay the old statements on staging
    (None: no replay, staging has not run the contract). Read-only on both."""
    now = datetime.now(UTC)
    roles = _service_roles(services)
    sessions = read_sessions(production, removed, roles)
    statements, note, since = read_statements(production, removed, roles)
    if watch is not None:
        statements = watch.observe(statements, now)
    replay: list[ReplayResult] = []
    replay_note = ("no replay: staging has not run this contract yet (apply staging first)"
                   if staging is None else None)
    if staging is not None:
        replay, replay_note = replay_statements(staging, removed, services, roles)
    return LiveEvidence(tuple(r.label for r in removed), now, tuple(sessions), tuple(statements),
                        note is None, note, since, expand_promoted_at, tuple(replay),
                        replay_note)


def _service_roles(services: ServiceMap) -> dict[str, str]:
    from nivomigrate.roles import service_roles

    return {role.service: role.role for role in service_roles(services) if not role.read_only}


def read_sessions(conn: psycopg.Connection, removed: list[Removed],
                  roles: dict[str, str]) -> list[LiveSession]:
    """The services' sessions in this database now (a session of no service is left out)."""
    rows = conn.execute(_SESSIONS_SQL, {"services": list(roles), "roles": list(roles.values())}
                        ).fetchall()
    sessions = []
    for pid, login, application, since, query, query_at, role_services in rows:
        service, build = _identity(application, role_services, roles)
        if service is None:
            continue
        sessions.append(LiveSession(pid, service, build, login, since, query or None, query_at,
                                    names_removed(query or "", removed)))
    return sessions


def _identity(application: str | None, role_services: list[str],
              roles: dict[str, str]) -> tuple[str | None, str | None]:
    """`<service>@<build>` names both; else the one service whose role the login is in."""
    if application and "@" in application:
        service, build = application.split("@", 1)
        if service in roles or not role_services:
            return service, build or None
    if len(role_services) == 1:
        return role_services[0], None
    return None, None


def read_statements(conn: psycopg.Connection, removed: list[Removed], roles: dict[str, str]
                    ) -> tuple[list[ReaderStatement], str | None, datetime | None]:
    """Return the statements naming a removed object, why they could not be read (None when
    they could), and since when pg_stat_statements counts."""
    import psycopg
    from psycopg import sql

    schema = conn.execute(_EXTENSION_SQL).fetchone()
    if schema is None:
        return [], "pg_stat_statements is not installed in this database: unproven", None
    query = sql.SQL(_STATEMENTS_SQL).format(
        statements=sql.Identifier(schema[0], "pg_stat_statements"))
    info = sql.SQL("select stats_reset from {}").format(
        sql.Identifier(schema[0], "pg_stat_statements_info"))
    tables = sorted({f"%{r.table}%" for r in removed})
    try:
        with conn.transaction():
            rows = conn.execute(query, {"services": list(roles), "roles": list(roles.values()),
                                        "tables": tables}).fetchall()
            since = conn.execute(info).fetchone()[0]
    except (psycopg.errors.ObjectNotInPrerequisiteState,
            psycopg.errors.InsufficientPrivilege) as exc:
        reason = str(exc).strip().splitlines()[0]
        return [], f"pg_stat_statements cannot be read: {reason}: unproven", None
    found = []
    for role, queryid, text, calls, role_services in rows:
        names = names_removed(text, removed)
        if names:
            service = role_services[0] if len(role_services) == 1 else None
            found.append(ReaderStatement(role, service, queryid, text, calls, names))
    return found, None, since


def names_removed(statement: str, removed: list[Removed]) -> tuple[str, ...]:
    """Return the labels of the removed objects `statement` names: the table, and for a
    column also the column, among its tokens."""
    from nivomigrate.sql import words

    if not statement:
        return ()
    tokens = {text if quoted else text.lower() for text, quoted in words(statement)}
    return tuple(r.label for r in removed
                 if _named(r.table, tokens) and (r.column is None or _named(r.column, tokens)))


def _named(name: str, tokens: set[str]) -> bool:
    return name in tokens or name.lower() in tokens


def replay_statements(staging: psycopg.Connection, removed: list[Removed],
                      services: ServiceMap, roles: dict[str, str]
                      ) -> tuple[list[ReplayResult], str | None]:
    """PREPARE the previous build's statements on staging as each service's role, in a
    transaction rolled back; return the results and a note on a missing source."""
    statements, note, _ = read_statements(staging, removed, roles)
    candidates = [(s.service, s.role, "staging pg_stat_statements", s.query)
                  for s in statements]
    candidates += [(service, roles.get(service), "services.yaml", text)
                   for service, text in map_statements(services, removed)]
    seen, results = set(), []
    for service, role, source, text in candidates[:_REPLAY_LIMIT]:
        if (role, text) in seen or _first_word(text) not in _PREPARABLE:
            continue
        seen.add((role, text))
        results.append(_prepare(staging, service, role, source, text))
    return results, note


def map_statements(services: ServiceMap, removed: list[Removed]) -> list[tuple[str, str]]:
    """The statements the service map says each service runs on a removed table: a SELECT of
    the columns it reads (`"*"`: every column it had, so the removed one too) and an INSERT
    of those it writes."""
    from nivomigrate.quoting import identifier

    found = []
    for table in sorted({r.table for r in removed}):
        gone = [r.column for r in removed if r.table == table and r.column]
        for use in services.of_table(table):
            reads = [c for c in use.reads if c != "*"] + (gone if "*" in use.reads else [])
            if reads:
                found.append((use.service, f"SELECT {', '.join(map(identifier, reads))} "
                              f"FROM {identifier(table)}"))
            writes = [c for c in use.writes if c != "*"]
            if writes and "insert" in use.statement_kinds():
                values = ", ".join(f"${n}" for n in range(1, len(writes) + 1))
                found.append((use.service, f"INSERT INTO {identifier(table)} "
                              f"({', '.join(map(identifier, writes))}) VALUES ({values})"))
    return found


def _first_word(text: str) -> str:
    from nivomigrate.sql import words

    tokens = words(text)
    return tokens[0][0].upper() if tokens else ""


def _prepare(staging: psycopg.Connection, service: str | None, role: str | None, source: str,
             text: str) -> ReplayResult:
    import psycopg
    from psycopg import sql

    as_role = role is not None
    if role is not None:
        try:
            with staging.transaction():
                staging.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
                raise psycopg.Rollback
        except psycopg.Error:
            as_role = False  # the role is missing here, or this login may not SET it
    try:
        with staging.transaction():
            if as_role:
                staging.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(role)))
            staging.execute(sql.SQL("PREPARE nivomigrate_replay AS {}").format(sql.SQL(text)))
            staging.execute("DEALLOCATE nivomigrate_replay")  # PREPARE outlives a rollback
            raise psycopg.Rollback
    except psycopg.Error as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        outcome = "break" if exc.sqlstate in _BREAKS else "inconclusive"
        return ReplayResult(service, role, source, text, outcome, reason, as_role)
    return ReplayResult(service, role, source, text, "ok", None, as_role)
