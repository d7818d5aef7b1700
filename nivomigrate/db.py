"""URLs and connections: the only module that turns a URL into a connection or into text.

nivomigrate migrates through a connection that keeps one server backend for the whole session:
a direct connection to a writable primary, or a session-mode pooler where the environment allows
it (`allow_session_pooler`). A URL is refused before connecting when it names a transaction
pooler or a replica; a server is refused after connecting when it is in recovery, when its
backends are shared between clients (a transaction pooler: found with a second session), or
(for writing commands) when the session is read-only.

Session settings are applied by SET on every session and read back, so they hold behind a
pooler that drops startup options: nivomigrate's own (timeouts, application_name, read-only
for reading commands) and those of the URL's own `options` (`-c name=value`, `--name=value`)
and Prisma's `schema=`. Every URL that leaves this module as text has its password hidden.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nivomigrate import redaction, urls
from nivomigrate.errors import ConfigError, DatabaseConnectionError, RefusedConnectionError
from nivomigrate.redaction import redact
from nivomigrate.session import SessionSetting, SessionSettings, plan_settings

if TYPE_CHECKING:
    import psycopg
    import sqlalchemy

    from nivomigrate.config import Environment

POOLER_PORT = 6543
DEFAULT_SESSION = SessionSettings()
_READ_ONLY_ATTRS = {"read-only", "standby", "prefer-standby"}
_DIRECT_HINT = "use the direct connection to the primary (POSTGRES_URL_NON_POOLING, port 5432)"
_SESSION_POOLER_HINT = (
    "a session-mode pooler (Supavisor on port 5432, PgBouncer pool_mode = session) is accepted "
    "with allow_session_pooler = true for this environment in nivomigrate.toml, or "
    "NIVOMIGRATE_ALLOW_SESSION_POOLER=1 (docs/ci.md)"
)
__all__ = ["SessionSetting", "SessionSettings", "Target", "connect", "connection"]


@dataclass(frozen=True)
class Target:
    """A database nivomigrate may connect to, and where its URL came from."""

    name: str
    url: str = field(repr=False)
    source: str = "a URL given on the command line"
    allow_session_pooler: bool = False
    pooled_urls: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        redaction.remember_url(self.url)

    @property
    def display(self) -> str:
        return redact(self.url)


def _missing_url_hint(environment: Environment) -> str:
    """How to give an environment its URL; a platform's unprefixed name (Supabase's and
    Vercel's POSTGRES_URL_NON_POOLING) is one per environment, so each gets its own file."""
    near, name = environment.near_variable, environment.name
    if near and environment.url_variable.endswith(f"_{near}"):
        return (f"{near} is set, but it is one environment's: give each environment its own in "
                f"nivomigrate.toml, [environments.{name}] env_file = \".env.{name}\" (a file "
                f"holding {near}) and url_env = \"{near}\", and the same for the others; or "
                f"set {environment.url_variable}")
    return ((f"did you mean {near}? " if near else "") + f"set {environment.url_variable} to "
            "the direct connection URL (POSTGRES_URL_NON_POOLING, port 5432), or pass "
            "--env-file")


def target_for(environment: Environment) -> Target:
    """Return the target of a configured environment.

    Raises:
        ConfigError: its URL variable is not set.
    """
    for _, value in environment.pooled_urls:
        redaction.remember_url(value)
    if not environment.url:
        raise ConfigError(
            f"{environment.url_variable} is not set (environment {environment.name!r})",
            hint=_missing_url_hint(environment))
    return Target(
        name=environment.name,
        url=environment.url,
        source=environment.source,
        allow_session_pooler=environment.allow_session_pooler,
        pooled_urls=environment.pooled_urls,
    )


def remember_secret(url: str) -> None:
    """Remember the password of `url` so `redact` hides it anywhere (see `redaction`)."""
    redaction.remember_url(url)


# --- URL checks ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedURL:
    """A connection string read by libpq: where it points and every keyword it sets."""

    hosts: tuple[str, ...]
    ports: tuple[int, ...]
    database: str
    params: dict[str, str] = field(repr=False)
    prisma: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return ",".join(self.hosts)

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def where(self) -> str:
        """host:port/database, a socket folder shown as such."""
        host = self.host if not self.hosts[0].startswith("/") else f"socket {self.host}"
        return f"{host}:{','.join(map(str, self.ports))}/{self.database}"


def parse_url(target: Target) -> ParsedURL:
    """Read `target.url` (URL or key=value form) as libpq will.

    Raises:
        ConfigError: malformed, a password with unencoded characters, a port that is no number.
    """
    parsed = urls.parse(target.url, target.source)
    params = parsed.params
    hosts = tuple(params.get("host", "").split(",")) if params.get("host") else ("localhost",)
    port_text = params.get("port") or "5432"
    try:
        ports = tuple(int(p or 5432) for p in port_text.split(","))
    except ValueError:
        raise urls.malformed(target.source, "the port is not a number") from None
    if len(ports) == 1 and len(hosts) > 1:
        ports = ports * len(hosts)
    database = params.get("dbname") or params.get("user") or "postgres"
    return ParsedURL(hosts, ports, database, params, parsed.prisma)


def check_url(target: Target) -> ParsedURL:
    """Refuse, before connecting, a URL that names a pooler or a replica.

    Raises:
        ConfigError: malformed (see `parse_url`).
        RefusedConnectionError: the URL is pooled, a replica or read-only by its parameters.
    """
    url = parse_url(target)
    reason = _refusal_reason(target, url)
    if reason:
        raise RefusedConnectionError(
            f"refused {target.source}: {reason}",
            hint="nivomigrate migrates only through the direct connection: "
            "use POSTGRES_URL_NON_POOLING (port 5432) of that environment",
        )
    return url


def _refusal_reason(target: Target, url: ParsedURL) -> str | None:
    attrs = url.params.get("target_session_attrs", "")
    if POOLER_PORT in url.ports:
        return "port 6543 is the transaction pooler (PgBouncer/Supavisor)"
    if url.prisma.get("pgbouncer", "").lower() == "true":
        return "pgbouncer=true marks a pooled URL"
    if attrs in _READ_ONLY_ATTRS:
        return f"target_session_attrs={attrs} asks for a standby"
    if url.prisma.get("readonly", "").lower() == "true":
        return "readonly=true marks the read replica URL"
    for variable, value in target.pooled_urls:
        if _same_url(value, target.url):
            return f"it is the same URL as {variable}"
    if any(host.endswith(".pooler.supabase.com") for host in url.hosts):
        if set(url.ports) == {5432} and target.allow_session_pooler:
            return None
        return ("a Supabase pooler host (session mode on port 5432 is allowed only with "
                "allow_session_pooler = true)")
    return None


def _same_url(first: str, second: str) -> bool:
    return first.strip().rstrip("/") == second.strip().rstrip("/")


def libpq_url(target: Target) -> str:
    """Return the URL without the parameters libpq does not know (the query kept as written),
    scheme `postgresql`; a key=value string is returned as it is."""
    parsed = urls.parse(target.url, target.source)
    if not parsed.is_url:
        return target.url
    without, _ = urls.without_prisma_parameters(target.url.strip())
    return "postgresql://" + without.split("://", 1)[1]


def with_database(url: str, database: str) -> str:
    """Return `url` pointing at another database on the same server (query kept)."""
    from urllib.parse import quote

    if not urls.is_url(url):
        from psycopg.conninfo import make_conninfo

        return make_conninfo(url, dbname=database)
    rest = url.split("://", 1)[1]
    userinfo = urls.split_userinfo(url)
    start = userinfo.end + 1 if userinfo is not None else 0
    authority_end = next((i for i in range(start, len(rest)) if rest[i] in "/?"), len(rest))
    query = rest[authority_end:].partition("?")[2]
    scheme = url.split("://", 1)[0]
    return (f"{scheme}://{rest[:authority_end]}/{quote(database, safe='')}"
            + (f"?{query}" if query else ""))


# --- connections -----------------------------------------------------------------------------

@dataclass
class Session:
    """An open, checked connection and what was found out while opening it."""

    conn: psycopg.Connection
    url: ParsedURL
    settings: list[SessionSetting]
    through_pooler: bool
    backend_pid: int


def connect(
    target: Target,
    *,
    writes: bool,
    session: SessionSettings = DEFAULT_SESSION,
    autocommit: bool = True,
    check_server: bool = True,
) -> psycopg.Connection:
    """Open a checked connection to `target`, its session settings applied and read back.

    Args:
        writes: the command changes the database; a read-only session is then refused.
            Otherwise the session itself is made read-only.

    Raises:
        ConfigError: the URL is malformed.
        RefusedConnectionError: pooled, replica, in recovery, shared backends, a setting that
            does not hold, or read-only (when `writes`).
        DatabaseConnectionError: the server cannot be reached or refuses the login.
    """
    return open_session(target, writes=writes, session=session, autocommit=autocommit,
                        check_server=check_server).conn


def open_session(target: Target, *, writes: bool, session: SessionSettings = DEFAULT_SESSION,
                 autocommit: bool = True, check_server: bool = True) -> Session:
    """Like `connect`, returning the `Session` (settings and their sources, pooler or not)."""
    from nivomigrate import backends

    url = check_url(target)
    planned = plan_settings(session, url.params, url.prisma, writes)
    conn, startup_options_sent = _open(target, url, session)
    try:
        conn.autocommit = True  # each check its own transaction
        applied = _apply_settings(conn, target, planned)
        through_pooler = False
        pid = conn.info.backend_pid
        if check_server:
            through_pooler = _check_server(conn, target, url, writes, startup_options_sent)
            pid = backends.check_not_shared(conn, target, _libpq_params(url, session, False),
                                            session.connect_timeout_s)
        conn.autocommit = autocommit
    except BaseException:
        conn.close()
        raise
    return Session(conn, url, applied, through_pooler, pid)


def _libpq_params(url: ParsedURL, session: SessionSettings, with_options: bool) -> dict:
    params = {**url.params, "connect_timeout": str(session.connect_timeout_s),
              "application_name": session.application_name}
    params.pop("options", None)
    if with_options:
        # The URL's own options (a Neon endpoint=...) travel too; the probe tells
        # _check_server whether startup options reach the server at all.
        own = url.params.get("options", "").strip()
        params["options"] = (own + " " if own else "") + "-c nivomigrate.probe=startup"
    return params


def _open(target: Target, url: ParsedURL, session: SessionSettings):
    """Connect; return (connection, whether the startup options were sent)."""
    import psycopg

    try:
        return _connect_patiently(_libpq_params(url, session, True)), True
    except psycopg.Error as exc:
        text = str(exc).lower()
        if "configuration parameter" in text or "invalid value for parameter" in text:
            raise ConfigError(
                f"{target.source}: the server refuses a setting of the URL's options: "
                f"{_first_line(exc).rsplit('FATAL:', 1)[-1].strip()}",
                hint="fix the options= parameter of the URL (libpq's -c name=value form)",
            ) from None
        if "unsupported startup parameter" not in text:
            raise _unreachable(target, url, exc) from None
        if not target.allow_session_pooler or url.params.get("options"):
            raise RefusedConnectionError(
                f"refused {target.source}: a connection pooler (PgBouncer) answers on port "
                f"{url.port} and rejects the session's startup options",
                hint=_DIRECT_HINT + "; " + _SESSION_POOLER_HINT,
            ) from None
    try:  # an allowed pooler: the settings go by SET alone
        return _connect_patiently(_libpq_params(url, session, False)), False
    except psycopg.Error as exc:
        raise _unreachable(target, url, exc) from None


# Logins a loaded server or pooler refuses for a moment; anything else (a wrong password, an
# unknown host, a refused port) fails at once.
_TRANSIENT_LOGIN = ("the database system is starting up", "too many clients already",
                    "no more connections allowed", "query_wait_timeout")
_LOGIN_ATTEMPTS = 3


def _connect_patiently(params: dict):
    """psycopg.connect, tried again (3 attempts in all, 1 s then 2 s apart) when the login
    timed out or the server was momentarily full or starting: what a busy CI runner's pooler
    shows now and then. libpq has no retry of its own."""
    import psycopg

    for attempt in range(1, _LOGIN_ATTEMPTS + 1):
        try:
            return psycopg.connect(**params)
        except psycopg.OperationalError as exc:
            transient = isinstance(exc, psycopg.errors.ConnectionTimeout) or any(
                text in str(exc) for text in _TRANSIENT_LOGIN)
            if not transient or attempt == _LOGIN_ATTEMPTS:
                raise
        time.sleep(2 ** (attempt - 1))


def _unreachable(target: Target, url: ParsedURL, exc: Exception) -> DatabaseConnectionError:
    from nivomigrate.backends import ipv6_only_note

    note = ipv6_only_note(url.hosts, str(exc))
    return DatabaseConnectionError(
        f"could not connect to {target.name} ({url.where}, {target.source}): "
        f"{_first_line(exc)}" + (f"; {note}" if note else ""),
        hint=("from an IPv4-only runner (GitHub-hosted), use the Supabase session pooler URL "
              "(aws-0-<region>.pooler.supabase.com:5432, user postgres.<project-ref>) with "
              "allow_session_pooler = true (docs/ci.md)") if note else
        "check the host, port, user and password of the direct connection URL",
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return redact(text[0] if text else type(exc).__name__)


def _apply_settings(conn: psycopg.Connection, target: Target,
                    planned: list[SessionSetting]) -> list[SessionSetting]:
    """SET every planned setting, then read each back in a later transaction.

    Raises:
        ConfigError: the server refuses a setting of the URL's options (an unknown name).
        RefusedConnectionError: a setting did not hold (the session moved to another backend).
    """
    import psycopg
    from psycopg import sql

    if not planned:
        return []
    if conn.info.server_version < 140000:  # no client_connection_check_interval before 14
        planned = [s for s in planned if s.name != "client_connection_check_interval"]
    calls = sql.SQL(", ").join(sql.SQL("set_config({}, {}, false)").format(
        sql.Literal(s.name), sql.Literal(s.value)) for s in planned)
    try:
        shown = conn.execute(sql.SQL("select ") + calls).fetchone()
    except psycopg.Error as exc:
        raise ConfigError(
            f"{target.source}: a session setting is refused by the server: {_first_line(exc)}",
            hint="fix the options= parameter of the URL (libpq's -c name=value form)",
        ) from None
    names = sql.SQL(", ").join(sql.SQL("current_setting({})").format(sql.Literal(s.name))
                               for s in planned)
    now = conn.execute(sql.SQL("select ") + names).fetchone()
    for setting, expected, actual in zip(planned, shown, now, strict=True):
        if expected != actual:
            raise RefusedConnectionError(
                f"refused {target.source}: the session setting {setting.name} did not hold "
                "between two statements (the pooler moved the session to another backend)",
                hint=_DIRECT_HINT,
            )
    return [s.shown_as(value) for s, value in zip(planned, now, strict=True)]


_SERVER_STATE_SQL = """
select pg_is_in_recovery(), current_setting('transaction_read_only'),
       current_setting('nivomigrate.probe', true)
"""


def _check_server(conn: psycopg.Connection, target: Target, url: ParsedURL, writes: bool,
                  startup_options_sent: bool) -> bool:
    """Refuse a standby, an unallowed pooler, a read-only session for a writing command;
    return whether something sits between us and the server (the startup options were lost)."""
    in_recovery, read_only, probe = conn.execute(_SERVER_STATE_SQL).fetchone()
    through_pooler = not startup_options_sent or probe != "startup"
    refusal, hint = None, _DIRECT_HINT
    if in_recovery:
        refusal = "the server is a standby in recovery (a read replica)"
    elif through_pooler and not target.allow_session_pooler:
        # PgBouncer with ignore_startup_parameters=options, Supavisor: the probe is dropped.
        refusal = ("the session's startup options did not reach the server (a pooler or "
                   "proxy sits in between)")
        hint = _DIRECT_HINT + "; " + _SESSION_POOLER_HINT
    elif writes and read_only == "on":
        source = next((s for s in plan_settings(SessionSettings(), url.params, url.prisma, True)
                       if s.name == "default_transaction_read_only"), None)
        refusal = "the session is read-only" + (
            f" ({source.source}: default_transaction_read_only={source.value})" if source
            else "") + ", and this command writes"
        hint = _DIRECT_HINT + " with a role that may write" + (
            ", without default_transaction_read_only in the URL's options" if source else "")
    if refusal:
        raise RefusedConnectionError(f"refused {target.source}: {refusal}", hint=hint)
    return through_pooler


def assert_same_backend(conn, pid: int) -> None:
    """Check that `conn` (psycopg or SQLAlchemy) still talks to server backend `pid`; call it in
    each transaction of a run, since a pooler that moved the session would run it elsewhere,
    without the session's settings and locks.

    Raises:
        RefusedConnectionError: the backend changed.
    """
    from nivomigrate.backends import current_backend_pid

    now = current_backend_pid(conn)
    if now != pid:
        raise RefusedConnectionError(
            f"refused: the session moved from server backend {pid} to {now} between "
            "transactions (a transaction pooler); nothing more is run on it",
            hint=_DIRECT_HINT,
        )


def guard_backend(conn: sqlalchemy.Connection, pid: int) -> None:
    """Make each transaction of SQLAlchemy connection `conn` check, at its first statement,
    that it still runs on backend `pid` (`assert_same_backend`)."""
    from nivomigrate.backends import BackendGuard

    BackendGuard(pid, assert_same_backend).listen(conn)


def sqlalchemy_engine(
    target: Target, *, writes: bool, session: SessionSettings = DEFAULT_SESSION
) -> sqlalchemy.Engine:
    """Return an engine whose every connection comes from `connect` (no pooling)."""
    import sqlalchemy
    from sqlalchemy.pool import NullPool

    check_url(target)
    return sqlalchemy.create_engine(
        "postgresql+psycopg://",
        creator=lambda: connect(target, writes=writes, session=session, autocommit=False),
        poolclass=NullPool,
    )


@contextmanager
def connection(
    target: Target, *, writes: bool, session: SessionSettings = DEFAULT_SESSION
) -> Iterator[psycopg.Connection]:
    """Yield a checked autocommit connection and close it afterwards."""
    conn = connect(target, writes=writes, session=session)
    try:
        yield conn
    finally:
        conn.close()


def _options(session: SessionSettings, writes: bool) -> str:
    """Return nivomigrate's own settings as libpq startup options (`-c name=value`), as a
    client without a pooler in between could send them (the reliability tests' orphans)."""
    return " ".join(f"-c {s.name}={s.value}" for s in plan_settings(session, {}, {}, writes))


def connect_read_replica(target: Target, session: SessionSettings = DEFAULT_SESSION
                         ) -> psycopg.Connection:
    """Open the apps' read replica URL (POSTGRES_READ_REPLICA_URL), read-only, for `doctor`.

    The only connection to a standby nivomigrate makes: `check_url` would refuse it, so the
    URL is only parsed. The session keeps what the URL and the server make of it (doctor
    proves it read-only and only reads).

    Raises:
        ConfigError: the URL is malformed.
        DatabaseConnectionError: the server cannot be reached or refuses the login.
    """
    url = parse_url(target)
    conn, _ = _open(target, url, session)
    conn.autocommit = True
    return conn
