"""What the role of a writing run must be allowed to do, checked before anything changes.

PostgreSQL checks the CREATE privilege on the database before it looks whether the ledger's
schema exists (`create schema if not exists nivomigrate`), so a role without it fails every
writing run; this says so up front instead of failing half-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    import psycopg

_RIGHTS_SQL = """
select current_user, current_database(),
       has_database_privilege(current_database(), 'CREATE')
"""


def require_ledger_rights(conn: psycopg.Connection, environment: str) -> None:
    """Refuse a role that may not keep nivomigrate's ledger in the database.

    Raises:
        ConfigError: the role has no CREATE privilege on the database.
    """
    role, database, may_create = conn.execute(_RIGHTS_SQL).fetchone()
    if not may_create:
        raise ConfigError(
            f"the role {role} may not create schemas in the database {database} ({environment}),"
            " which nivomigrate's ledger (schema nivomigrate) needs",
            hint=f'as the database owner: GRANT CREATE ON DATABASE "{database}" TO "{role}"; '
            "or use the migration role (Supabase: postgres)",
        )


@contextmanager
def privileges_named(environment: str) -> Iterator[None]:
    """Turn a privilege the role lacks outside a revision into exit 2 naming it.

    A revision that fails for lack of a privilege is the runner's MigrationError (exit 5);
    this catches what nivomigrate itself reads or writes before and after (the revision
    table, the ledger).

    Raises:
        ConfigError: PostgreSQL refused an operation for lack of a privilege.
    """
    import psycopg

    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        detail = (str(exc).strip().splitlines() or ["permission denied"])[0]
        raise ConfigError(
            f"the role of {environment} lacks a privilege nivomigrate needs: {detail}",
            hint="use the migration role (Supabase: postgres), or grant what the message "
            "names",
        ) from exc
