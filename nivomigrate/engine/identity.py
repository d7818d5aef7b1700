"""Which database an environment's URL reaches, so that two environments are proven different
before a writing command (apply, promote, baseline, repair) changes anything.

Two URLs can name one database in many ways (`localhost` and `127.0.0.1`, a host alias, the
key=value form, the session pooler and the direct host). The server says which database a
session is in: its cluster's system identifier (`pg_control_system()`, executable by PUBLIC from
PostgreSQL 15's defaults; None where it is revoked) and the database's oid. A clone made from a
base backup shares both with its origin, so equal (or unknown) identifiers are settled by a
probe: an advisory lock taken on one session is looked for in `pg_locks` from the other, which
shows the locks of every backend of its own server only (readable by every role).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings

_IDENTITY_SQL = """
select oid, datname, pg_backend_pid() from pg_database where datname = current_database()
"""
_SYSTEM_SQL = "select system_identifier from pg_control_system()"
_PROBE_CLASS = 0x6E69  # "ni": the two-key advisory lock space, apart from the run lock's
_SEEN_SQL = """
select database from pg_locks
where locktype = 'advisory' and classid = %s and objid = %s and objsubid = 2 and pid = %s
"""


@dataclass(frozen=True)
class DatabaseIdentity:
    """The database a session is in, as its server tells."""

    system_identifier: int | None
    database_oid: int
    database: str
    backend_pid: int

    @property
    def signed_fields(self) -> tuple[int | None, int, str]:
        """What a run's signature binds it to (`signing.canonical`)."""
        return (self.system_identifier, self.database_oid, self.database)

    def describe(self) -> str:
        server = (f"server {self.system_identifier}" if self.system_identifier is not None
                  else "one server")
        return f'database "{self.database}" (oid {self.database_oid}) of {server}'


def read_identity(conn: psycopg.Connection) -> DatabaseIdentity:
    """Read the session's database oid and name, and its server's system identifier (None
    when pg_control_system() is not granted to the role)."""
    import psycopg

    oid, name, pid = conn.execute(_IDENTITY_SQL).fetchone()
    try:
        with conn.transaction():
            system = conn.execute(_SYSTEM_SQL).fetchone()[0]
    except psycopg.errors.InsufficientPrivilege:
        system = None
    return DatabaseIdentity(system, oid, name, pid)


def same_database(first: psycopg.Connection, first_identity: DatabaseIdentity,
                  second: psycopg.Connection, second_identity: DatabaseIdentity) -> bool:
    """Tell whether two sessions are in one database: different system identifiers or oids
    say no; otherwise a lock taken on `first` must show in `second`'s pg_locks."""
    systems = (first_identity.system_identifier, second_identity.system_identifier)
    if None not in systems and systems[0] != systems[1]:
        return False
    if None not in systems and first_identity.database_oid != second_identity.database_oid:
        return False
    key = secrets.randbelow(1 << 31)
    while not first.execute("select pg_try_advisory_lock(%s, %s)",
                            (_PROBE_CLASS, key)).fetchone()[0]:
        key = secrets.randbelow(1 << 31)  # another probe holds this one: take another
    try:
        row = second.execute(_SEEN_SQL, (_PROBE_CLASS, key,
                                         first_identity.backend_pid)).fetchone()
    finally:
        first.execute("select pg_advisory_unlock(%s, %s)", (_PROBE_CLASS, key))
    return row is not None and row[0] == second_identity.database_oid


def require_distinct(settings: Settings, name: str, conn: psycopg.Connection) -> None:
    """Refuse to write `name` (open on `conn`) when another configured environment's URL
    reaches the same database. An environment whose URL is not set, is refused (pooled) or
    cannot be reached is not compared: nothing can be written through it either.

    Raises:
        ConfigError: two environments are one database (exit 2, nothing changed).
    """
    mine = read_identity(conn)
    for other in settings.environments.values():
        if other.name != name and other.url and _reaches(conn, mine, other):
            raise _same(settings, name, other.name, mine)


def _reaches(conn: psycopg.Connection, mine: DatabaseIdentity, environment) -> bool:
    """Tell whether `environment`'s URL reaches the database `conn` is in."""
    from contextlib import closing

    from nivomigrate.db import connect, target_for
    from nivomigrate.errors import NivoError

    try:
        with closing(connect(target_for(environment), writes=False,
                             check_server=False)) as other:
            return same_database(conn, mine, other, read_identity(other))
    except NivoError:
        return False


def _same(settings: Settings, name: str, other: str, identity: DatabaseIdentity) -> ConfigError:
    mine, theirs = settings.environment(name), settings.environment(other)
    return ConfigError(
        f"refusing to write {name}: {name} and {other} are the same database "
        f"({identity.describe()}), nothing changed",
        hint=f"point {mine.url_variable} and {theirs.url_variable} at different databases "
        "(a host alias or another URL form still reaches the same one)",
    )
