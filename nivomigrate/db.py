"""URLs and connections: the only module that turns a URL into a connection or into text.

nivomigrate migrates only through a direct connection to a writable primary. A URL is refused
before connecting when it names a pooler or a replica, and a server is refused after connecting
when it is in recovery, answers through a transaction pooler, or (for writing commands) is
read-only. Every URL that leaves this module as text has its password hidden.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from nivomigrate.errors import (
    ConfigError,
    DatabaseConnectionError,
    RefusedConnectionError,
)

if TYPE_CHECKING:
    import psycopg
    import sqlalchemy

    from nivomigrate.config import Environment, Timeouts

APPLICATION_NAME = "nivomigrate"
POOLER_PORT = 6543
# Query parameters that Prisma or Supabase add and libpq does not know.
_NON_LIBPQ_PARAMETERS = {
    "pgbouncer", "schema", "connection_limit", "pool_timeout", "statement_cache_size",
    "socket_timeout", "sslaccept", "readonly", "supa",
}
_READ_ONLY_ATTRS = {"read-only", "standby", "prefer-standby"}
_secrets: set[str] = set()


@dataclass(frozen=True)
class Target:
    """A database nivomigrate may connect to, and where its URL came from."""

    name: str
    url: str = field(repr=False)
    source: str = "a URL given on the command line"
    allow_session_pooler: bool = False
    pooled_urls: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        remember_secret(self.url)

    @property
    def display(self) -> str:
        return redact(self.url)


def target_for(environment: Environment) -> Target:
    """Return the target of a configured environment.

    Raises:
        ConfigError: its URL variable is not set.
    """
    for _, value in environment.pooled_urls:
        remember_secret(value)
    if not environment.url:
        raise ConfigError(
            f"{environment.url_variable} is not set (environment {environment.name!r})",
            hint=(f"did you mean {environment.near_variable}? " if environment.near_variable
                  else "") + f"set {environment.url_variable} to the direct connection URL "
            "(POSTGRES_URL_NON_POOLING, port 5432), or pass --env-file",
        )
    return Target(
        name=environment.name,
        url=environment.url,
        source=environment.source,
        allow_session_pooler=environment.allow_session_pooler,
        pooled_urls=environment.pooled_urls,
    )


# --- redaction -------------------------------------------------------------------------------

def remember_secret(url: str) -> None:
    """Remember the password of `url`, raw and decoded, so `redact` hides it anywhere."""
    password = _raw_password(url)
    if password:
        _secrets.update({password, unquote(password)})


def redact(text: str) -> str:
    """Hide every password in `text`: in URLs and wherever a remembered one appears."""
    text = re.sub(r"(\w+(?:\+\w+)?://[^:/?#@\s]*:)[^\s]*@", r"\1***@", text)
    for secret in sorted(_secrets, key=len, reverse=True):
        if len(secret) >= 3:
            text = text.replace(secret, "***")
    text = re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)
    return text


def _raw_password(url: str) -> str | None:
    rest = url.split("://", 1)[-1]
    userinfo = rest.rsplit("@", 1)[0] if "@" in rest else ""
    return userinfo.split(":", 1)[1] if ":" in userinfo else None


# --- URL checks ------------------------------------------------------------------------------

@dataclass(frozen=True)
class ParsedURL:
    host: str
    port: int
    database: str
    query: dict[str, str]


def parse_url(target: Target) -> ParsedURL:
    """Split a postgres URL.

    Raises:
        ConfigError: the URL is malformed.
    """
    try:
        parts = urlsplit(target.url)
        port = parts.port or 5432
    except ValueError as exc:
        raise _malformed(target, str(exc)) from exc
    if parts.scheme not in {"postgres", "postgresql", "postgresql+psycopg"} or not parts.hostname:
        raise _malformed(target, "expected postgresql://user:password@host:port/database")
    query = dict(parse_qsl(parts.query))
    return ParsedURL(parts.hostname, port, parts.path.lstrip("/") or "postgres", query)


def _malformed(target: Target, reason: str) -> ConfigError:
    return ConfigError(
        f"the URL in {target.source} is malformed ({redact(reason)})",
        hint="use postgresql://user:password@host:5432/database, "
        "with special characters of the password percent-encoded (@ as %40)",
    )


def check_url(target: Target) -> ParsedURL:
    """Refuse, before connecting, a URL that names a pooler or a replica.

    Raises:
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
    if url.port == POOLER_PORT:
        return "port 6543 is the transaction pooler (PgBouncer/Supavisor)"
    if url.query.get("pgbouncer", "").lower() == "true":
        return "pgbouncer=true marks a pooled URL"
    if url.query.get("target_session_attrs", "") in _READ_ONLY_ATTRS:
        return f"target_session_attrs={url.query['target_session_attrs']} asks for a standby"
    if url.query.get("readonly", "").lower() == "true":
        return "readonly=true marks the read replica URL"
    for variable, value in target.pooled_urls:
        if _same_url(value, target.url):
            return f"it is the same URL as {variable}"
    if url.host.endswith(".pooler.supabase.com"):
        if url.port == 5432 and target.allow_session_pooler:
            return None
        return (
            "a Supabase pooler host (session mode on port 5432 is allowed only with "
            "allow_session_pooler = true)"
        )
    return None


def _same_url(first: str, second: str) -> bool:
    return first.strip().rstrip("/") == second.strip().rstrip("/")


def libpq_url(target: Target) -> str:
    """Return the URL without the parameters libpq does not know, scheme `postgresql`."""
    parts = urlsplit(target.url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in _NON_LIBPQ_PARAMETERS]
    return urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(query), ""))


# --- connections -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionSettings:
    """Per-session limits; `None` leaves the server default."""

    lock_timeout_ms: int | None = None
    statement_timeout_ms: int | None = None
    connect_timeout_s: int = 10

    @classmethod
    def from_timeouts(cls, timeouts: Timeouts) -> SessionSettings:
        return cls(timeouts.lock_timeout_ms, timeouts.statement_timeout_ms,
                   timeouts.connect_timeout_s)


def connect(
    target: Target,
    *,
    writes: bool,
    session: SessionSettings = SessionSettings(),
    autocommit: bool = True,
    check_server: bool = True,
) -> psycopg.Connection:
    """Open a checked connection to `target`.

    Args:
        writes: the command changes the database; a read-only session is then refused.
            Otherwise the session itself is made read-only.

    Raises:
        RefusedConnectionError: pooled, replica, in recovery or read-only (when `writes`).
        DatabaseConnectionError: the server cannot be reached or refuses the login.
    """
    import psycopg

    url = check_url(target)
    try:
        conn = psycopg.connect(
            libpq_url(target),
            autocommit=autocommit,
            connect_timeout=session.connect_timeout_s,
            application_name=APPLICATION_NAME,
            options=_options(session, writes),
        )
    except psycopg.Error as exc:
        if "unsupported startup parameter" in str(exc).lower():
            raise RefusedConnectionError(
                f"refused {target.source}: a connection pooler (PgBouncer) answers on port "
                f"{url.port} and rejects the session's startup options",
                hint="use the direct connection to the primary (POSTGRES_URL_NON_POOLING)",
            ) from None
        raise DatabaseConnectionError(
            f"could not connect to {target.name} ({url.host}:{url.port}/{url.database}, "
            f"{target.source}): {_first_line(exc)}",
            hint="check the host, port, user and password of the direct connection URL",
        ) from None
    if check_server:
        try:
            _check_server(conn, target, url, writes)
        except Exception:
            conn.close()
            raise
    return conn


def _options(session: SessionSettings, writes: bool) -> str:
    # The probe tells _check_server that the startup options reached the server.
    options = ["-c client_connection_check_interval=2000", "-c nivomigrate.probe=startup"]
    if session.lock_timeout_ms is not None:
        options.append(f"-c lock_timeout={session.lock_timeout_ms}")
    if session.statement_timeout_ms is not None:
        options.append(f"-c statement_timeout={session.statement_timeout_ms}")
    if not writes:
        options.append("-c default_transaction_read_only=on")
    return " ".join(options)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return redact(text[0] if text else type(exc).__name__)


_SERVER_STATE_SQL = """
select pg_is_in_recovery(), inet_server_port(), pg_backend_pid(),
       current_setting('transaction_read_only'),
       current_setting('nivomigrate.probe', true)
"""


def _check_server(conn: psycopg.Connection, target: Target, url: ParsedURL, writes: bool) -> None:
    autocommit, conn.autocommit = conn.autocommit, True  # each probe its own transaction
    try:
        with conn.cursor() as cur:
            startup_probe = cur.execute(_SERVER_STATE_SQL).fetchone()[4]
            cur.execute("select set_config('nivomigrate.probe', 'session', false)")
            in_recovery, _, pid, read_only, _ = cur.execute(_SERVER_STATE_SQL).fetchone()
            # A transaction pooler may hand the next transaction to another backend.
            _, _, next_pid, _, probe = cur.execute(_SERVER_STATE_SQL).fetchone()
    finally:
        conn.autocommit = autocommit
    refusal = None
    if in_recovery:
        refusal = "the server is a standby in recovery (a read replica)"
    elif startup_probe != "startup":
        # PgBouncer with ignore_startup_parameters=options drops our session settings.
        refusal = "the session's startup options did not reach the server (a pooler or proxy)"
    elif next_pid != pid or probe != "session":
        refusal = "session state does not survive between transactions (a transaction pooler)"
    elif writes and read_only == "on":
        refusal = "the session is read-only, and this command writes"
    if refusal:
        raise RefusedConnectionError(
            f"refused {target.source}: {refusal}",
            hint="use the direct connection to the primary (POSTGRES_URL_NON_POOLING, port 5432)"
            + (" with a role that may write" if "read-only" in refusal else ""),
        )


def sqlalchemy_engine(
    target: Target, *, writes: bool, session: SessionSettings = SessionSettings()
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
    target: Target, *, writes: bool, session: SessionSettings = SessionSettings()
) -> Iterator[psycopg.Connection]:
    """Yield a checked autocommit connection and close it afterwards."""
    conn = connect(target, writes=writes, session=session)
    try:
        yield conn
    finally:
        conn.close()


def with_database(url: str, database: str) -> str:
    """Return `url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))
