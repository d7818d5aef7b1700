"""What a database grants today: the app's tables, their columns, and the privileges of roles.

Read from the catalog (`pg_class.relacl`, `pg_attribute.attacl`, `pg_namespace.nspacl` through
`aclexplode`), so only direct grants count: membership and PUBLIC are not a role's own grant.
The pure map they are compared with is `nivomigrate/roles.py`.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from nivomigrate.migrations import VERSION_TABLE
from nivomigrate.roles import Privilege, TableShape

if TYPE_CHECKING:
    import psycopg

_PRIVILEGES_SQL = resources.files(__package__).joinpath("privileges.sql").read_text()
_TABLES_SQL = """
select c.relname, array_agg(a.attname::text order by a.attnum),
       array_remove(array_agg(case when a.attidentity = '' then pg_get_serial_sequence(
           format('%%I.%%I', n.nspname, c.relname), a.attname) end), null),
       array_remove(array_agg(case when a.attnum = any(k.conkey) then a.attname::text end
                              order by array_position(k.conkey, a.attnum)), null)
from pg_class c
left join pg_constraint k on k.conrelid = c.oid and k.contype = 'p'
join pg_namespace n on n.oid = c.relnamespace
join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
where n.nspname = %(schema)s and c.relkind in ('r', 'p') and not c.relispartition
  and c.relname <> %(version_table)s
group by c.relname, k.conkey
"""


def read_tables(conn: psycopg.Connection, schema: str = "public") -> dict[str, TableShape]:
    """Return the app's tables in `schema` (alembic's version table left out), by name."""
    rows = conn.execute(_TABLES_SQL, {"schema": schema, "version_table": VERSION_TABLE})
    return {name: TableShape(name, tuple(columns),
                             tuple(sequence.rsplit(".", 1)[-1].strip('"')
                                   for sequence in sequences), tuple(key))
            for name, columns, sequences, key in rows.fetchall()}


def read_privileges(conn: psycopg.Connection, roles: list[str],
                    schema: str = "public") -> set[Privilege]:
    """Return the privileges granted directly to `roles` in `schema` (none for absent roles)."""
    rows = conn.execute(_PRIVILEGES_SQL, {"schema": schema, "roles": list(roles)}).fetchall()
    return {Privilege(role, kind, name, privilege, column)
            for role, kind, name, privilege, column in rows}


def existing_roles(conn: psycopg.Connection, roles: list[str]) -> set[str]:
    """Return which of `roles` exist on the server."""
    rows = conn.execute("select rolname from pg_roles where rolname = any(%s)", (list(roles),))
    return {name for (name,) in rows.fetchall()}
