"""What a database grants today: the app's tables, their columns, and the privileges of roles.

Read from the catalog floor (`nivomigrate.catalog`: its table, column, constraint, sequence and
grant rows, which come from `pg_class.relacl`, `pg_attribute.attacl`, `pg_namespace.nspacl`
through `aclexplode`), so only direct grants count: membership and PUBLIC are not a role's own
grant. The migration ledgers' tables are read too (a service's grant on them is a grant to
revoke); alembic's version table is not one of the app's tables. The pure map they are
compared with is `nivomigrate/roles.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.catalog import Catalog, read_catalog
from nivomigrate.migrations import VERSION_TABLE
from nivomigrate.roles import Privilege, TableShape

if TYPE_CHECKING:
    import psycopg

# The grant rows' kinds of object, as the privilege map names them (foreign tables not mapped).
_MAPPED = {"table": "table", "view": "table", "materialized view": "table",
           "sequence": "sequence", "schema": "schema", "column": "table"}


def read_app_catalog(conn: psycopg.Connection) -> Catalog:
    """Return the catalog `tables_of` and `privileges_of` read (the ledgers' tables in)."""
    return read_catalog(conn, exclude_tables=frozenset(), parts=True)


def read_tables(conn: psycopg.Connection, schema: str = "public") -> dict[str, TableShape]:
    """Return the app's tables in `schema` (alembic's version table left out), by name."""
    return tables_of(read_app_catalog(conn), schema)


def read_privileges(conn: psycopg.Connection, roles: list[str],
                    schema: str = "public") -> set[Privilege]:
    """Return the privileges granted directly to `roles` in `schema` (none for absent roles)."""
    return privileges_of(read_app_catalog(conn), roles, schema)


def tables_of(catalog: Catalog, schema: str = "public") -> dict[str, TableShape]:
    """Return `catalog`'s plain and partitioned tables of `schema` (not partitions), by name."""
    names = [row.parts["name"] for row in catalog.of("table").values()
             if row.parts["schema"] == schema and row.attributes["kind"] in ("r", "p")
             and not row.attributes["partition_of"] and row.parts["name"] != VERSION_TABLE]
    columns: dict[str, list] = {name: [] for name in names}
    for row in catalog.of("column").values():
        if row.parts["schema"] == schema and row.parts["table"] in columns:
            columns[row.parts["table"]].append((row.parts["position"], row.parts["name"]))
    serial = {(*row.parts["owned_by"][1:],): row.parts["name"]
              for row in catalog.of("sequence").values()
              if row.parts["owned_by"] and row.parts["owned_by"][0] == schema}
    keys = {row.parts["table"]: tuple(row.parts["columns"])
            for row in catalog.of("constraint").values()
            if row.attributes["type"] == "p" and row.parts["schema"] == schema}
    shapes = {}
    for name in names:
        ordered = [column for _, column in sorted(columns[name])]
        sequences = tuple(serial[name, column] for column in ordered if (name, column) in serial)
        shapes[name] = TableShape(name, tuple(ordered), sequences, keys.get(name, ()))
    return shapes


def row_secured(catalog: Catalog, schema: str = "public") -> set[str]:
    """Return the names of `catalog`'s tables of `schema` with row level security enabled."""
    return {row.parts["name"] for row in catalog.of("table").values()
            if row.parts["schema"] == schema and row.attributes["row_security"]}


def privileges_of(catalog: Catalog, roles: list[str], schema: str = "public") -> set[Privilege]:
    """Return the privileges `catalog` shows granted directly to `roles` in `schema`."""
    found = set()
    for row in catalog.of("grant").values():
        parts = row.parts
        if (parts["grantee"] not in roles or parts["schema"] != schema
                or parts["on"] not in _MAPPED):
            continue
        for privilege in row.attributes["privileges"]:
            found.add(Privilege(parts["grantee"], _MAPPED[parts["on"]], parts["name"],
                                privilege.rstrip("*"), parts["column"]))
    return found


def existing_roles(conn: psycopg.Connection, roles: list[str]) -> set[str]:
    """Return which of `roles` exist on the server."""
    rows = conn.execute("select rolname from pg_roles where rolname = any(%s)", (list(roles),))
    return {name for (name,) in rows.fetchall()}
