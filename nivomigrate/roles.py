"""The privileges each service's database role needs, derived from `policies/services.yaml`.

Pure: no database. The catalog side (what a database grants today, the tables' columns) is in
`nivomigrate/privileges.py`; `nivomigrate roles` (steps/roles.py) writes the difference as a
revision. The map is data (`Privilege` rows), so the same rows can later be declared in the
models as grant entities and compared by the snapshot like any other object.

The rules, for a service's role (`roles:` in services.yaml, `nivo_<service>` by default):

- reads `"*"`: SELECT on the table; reads of some columns: SELECT on those columns and the
  primary key only (Prisma adds the key to every select);
- the statement kinds of `operations:` (insert, update, delete): INSERT on the `writes`
  columns for insert, UPDATE on them for update, DELETE on the table for delete; without
  `operations`, writes of some columns mean insert and update, `"*"` also delete;
- any insert or update: SELECT on the table, because Prisma's create, update and upsert end
  in `RETURNING` every scalar column, and an upsert's `ON CONFLICT` reads its key; a delete
  needs SELECT on the key (added like a read's);
- an insert into a table whose column default calls a sequence (serial): USAGE on it
  (identity columns need none);
- USAGE on the schema.

A `<service>_read` role (`studio_read: nivo_studio_read`) gets only the SELECTs of that
service's reads, for the read replica. Objects stay owned by the migration role, and no
default privileges are set: a new table is closed to the services until the map names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nivomigrate.policies.services import ServiceMap, TableUse
from nivomigrate.quoting import identifier, literal

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
READ_SUFFIX = "_read"


@dataclass(frozen=True, order=True)
class Privilege:
    """One privilege of one role: on a table (or one of its columns), a sequence or a schema."""

    role: str
    kind: str  # "table", "sequence" or "schema"
    name: str  # the table, sequence or schema name (unqualified; the schema is the map's)
    privilege: str  # SELECT, INSERT, UPDATE, DELETE, USAGE, ...
    column: str | None = None  # a column privilege; None for the whole object


@dataclass(frozen=True)
class TableShape:
    """What the map needs to know of a table: its columns and the sequences it calls."""

    name: str
    columns: tuple[str, ...]
    sequences: tuple[str, ...] = ()
    key: tuple[str, ...] = ()  # primary key columns (the write shapes' WHERE and ON CONFLICT)


@dataclass(frozen=True)
class ServiceRole:
    """A service's group role; `read_only` for the `<service>_read` role of a replica."""

    service: str
    role: str
    read_only: bool = False


@dataclass(frozen=True)
class PrivilegeChange:
    """What to grant and what to revoke to turn a database's privileges into the map."""

    grants: tuple[Privilege, ...]
    revokes: tuple[Privilege, ...]

    @property
    def is_empty(self) -> bool:
        return not self.grants and not self.revokes


def service_roles(services: ServiceMap) -> list[ServiceRole]:
    """Return every service's role, then the read roles `roles:` declares."""
    declared = services.roles or {}
    names = sorted({use.service for use in services.uses})
    found = [ServiceRole(name, declared.get(name, f"nivo_{name}")) for name in names]
    for key, role in sorted(declared.items()):
        if key.endswith(READ_SUFFIX) and key[: -len(READ_SUFFIX)] in names:
            found.append(ServiceRole(key[: -len(READ_SUFFIX)], role, read_only=True))
    return found


def privilege_map(services: ServiceMap, tables: Mapping[str, TableShape],
                  schema: str = "public") -> frozenset[Privilege]:
    """Return every privilege the services' roles need on `tables` (name -> shape).

    A table or column the map names but `tables` lacks gets no privilege (it cannot be
    granted); the service-access check reports such uses.
    """
    found: set[Privilege] = set()
    for role in service_roles(services):
        found.add(Privilege(role.role, "schema", schema, "USAGE"))
        for use in services.uses:
            if use.service == role.service and use.table in tables:
                found |= _table_privileges(role, use, tables[use.table])
    return frozenset(found)


def _table_privileges(role: ServiceRole, use: TableUse, table: TableShape) -> set[Privilege]:
    kinds = frozenset() if role.read_only else use.statement_kinds()
    writes = () if role.read_only else use.writes
    reads = use.reads
    if (reads or "delete" in kinds) and "*" not in reads:  # Prisma adds the key to every select
        reads = tuple(dict.fromkeys((*reads, *table.key)))
    found = set(_on_columns(role.role, table, "SELECT", ("*",) if writes else reads))
    for privilege in ("INSERT", "UPDATE"):
        if privilege.lower() in kinds:
            found |= set(_on_columns(role.role, table, privilege, writes))
    if "delete" in kinds:
        found.add(Privilege(role.role, "table", table.name, "DELETE"))
    if "insert" in kinds:
        found |= {Privilege(role.role, "sequence", name, "USAGE") for name in table.sequences}
    return found


def _on_columns(role: str, table: TableShape, privilege: str,
                columns: tuple[str, ...]) -> Iterable[Privilege]:
    if "*" in columns:
        yield Privilege(role, "table", table.name, privilege)
        return
    for column in columns:
        if column in table.columns:
            yield Privilege(role, "table", table.name, privilege, column)


def difference(desired: Iterable[Privilege], actual: Iterable[Privilege]) -> PrivilegeChange:
    """Return the grants and revokes that turn `actual` into `desired`, sorted."""
    desired, actual = set(desired), set(actual)
    return PrivilegeChange(tuple(sorted(desired - actual)), tuple(sorted(actual - desired)))


def unmapped_tables(services: ServiceMap, table_names: Iterable[str]) -> list[str]:
    """Return the tables services.yaml neither owns nor lets any service use, sorted."""
    known = set(services.owners or {}) | {use.table for use in services.uses}
    return sorted(set(table_names) - known)


def create_role_sql(role: str) -> str:
    """Return a DO block that creates the NOLOGIN group role unless it exists.

    Roles belong to the whole cluster, so staging and production may share one; a concurrent
    creation is caught. The migration role is made a member (PostgreSQL 16 gives a role's
    creator only ADMIN), so that the service-access check can `SET ROLE` to it.
    """
    return (
        "DO $nivo$\nBEGIN\n"
        f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {literal(role)}) THEN\n"
        f"    BEGIN\n      CREATE ROLE {identifier(role)} NOLOGIN;\n"
        "    EXCEPTION WHEN duplicate_object THEN NULL;\n    END;\n  END IF;\n"
        f"  IF NOT pg_has_role(current_user, {literal(role)}, 'USAGE') THEN\n"
        f"    GRANT {identifier(role)} TO CURRENT_USER;\n  END IF;\n"
        "END\n$nivo$"
    )


# The name of the database differs between staging and prod, and GRANT ... ON DATABASE takes
# no CURRENT_DATABASE: the one statement nivomigrate writes as dynamic SQL (acknowledged in the
# revision, see checks/dynamic_sql.py), built without `%` (no format()).
DATABASE_ACK = ('# nivomigrate: ack dynamic-sql "DO" -- the database\'s name differs between '
                "staging and prod: REVOKE/GRANT TEMPORARY ON DATABASE <current_database()> "
                "FROM/TO PUBLIC, nothing else")


def database_privileges_sql(revoke: bool = True) -> str:
    """Return a DO block that takes TEMPORARY on the current database from PUBLIC (so a
    service login cannot create temporary tables), or gives it back (`revoke=False`).

    CONNECT stays with PUBLIC: the services' logins need it, and so do a Supabase project's own
    roles (authenticator, the platform's admins), which the map does not name.
    """
    verb, preposition = ("REVOKE", "FROM") if revoke else ("GRANT", "TO")
    return (
        "DO $nivo$\nBEGIN\n"
        f"  EXECUTE '{verb} TEMPORARY ON DATABASE ' || quote_ident(current_database())"
        f" || ' {preposition} PUBLIC';\n"
        "END\n$nivo$"
    )


def change_statements(change: PrivilegeChange, schema: str = "public") -> list[str]:
    """Return the REVOKE statements, then the GRANTs, one per role and object.

    Revokes come first: revoking a table privilege also revokes that privilege on every
    column, so a table-wide SELECT narrowed to some columns must be revoked before the
    column grant.
    """
    return ([_statement("REVOKE", key, items, schema) for key, items in _grouped(change.revokes)]
            + [_statement("GRANT", key, items, schema) for key, items in _grouped(change.grants)])


def _grouped(privileges: Iterable[Privilege]) -> list[tuple[tuple[str, str, str], list]]:
    groups: dict[tuple[str, str, str], list[Privilege]] = {}
    for privilege in privileges:
        groups.setdefault((privilege.role, privilege.kind, privilege.name), []).append(privilege)
    return sorted(groups.items())


def _statement(verb: str, key: tuple[str, str, str], items: list[Privilege],
               schema: str) -> str:
    role, kind, name = key
    by_privilege: dict[str, list[str]] = {}
    for item in items:
        by_privilege.setdefault(item.privilege, []).append(item.column or "")
    parts = []
    for privilege in sorted(by_privilege, key=_privilege_order):
        columns = sorted(c for c in by_privilege[privilege] if c)
        if "" in by_privilege[privilege]:
            parts.append(privilege)
        if columns:
            parts.append(f"{privilege} ({', '.join(map(identifier, columns))})")
    target = identifier(name) if kind == "schema" else f"{identifier(schema)}.{identifier(name)}"
    preposition = "TO" if verb == "GRANT" else "FROM"
    return (f"{verb} {', '.join(parts)} ON {kind.upper()} {target} "
            f"{preposition} {identifier(role)}")


def _privilege_order(privilege: str) -> int:
    order = (*TABLE_PRIVILEGES, "USAGE")
    return order.index(privilege) if privilege in order else len(order)


@dataclass(frozen=True)
class Shape:
    """One statement a service runs, in the shape Prisma sends it, with `$n` parameters."""

    service: str
    table: str
    name: str  # "read", "insert", "upsert", "update", "delete" or a hot query's name
    sql: str


def write_shapes(services: ServiceMap, tables: Mapping[str, TableShape],
                 schema: str = "public") -> list[Shape]:
    """Return every read and write shape of the map on the tables it names that exist.

    Columns come from the map as written (a column the table lacks stays in, so the shape
    fails where the service would); `"*"` means the table's columns today. Reads select the
    columns; writes are Prisma's statements for the kinds the use runs
    (`TableUse.statement_kinds`): insert, INSERT ... RETURNING; insert and update, also the
    upsert (ON CONFLICT on the primary key); update, UPDATE ... RETURNING by key; delete,
    DELETE by key.
    """
    shapes = []
    for use in services.uses:
        table = tables.get(use.table)
        if table is None:
            continue
        target = f"{identifier(schema)}.{identifier(table.name)}"
        reads = table.columns if "*" in use.reads else use.reads
        if reads:
            shapes.append(Shape(use.service, table.name, "read",
                                f"SELECT {_names(reads)} FROM {target} LIMIT 1"))
        writes = table.columns if "*" in use.writes else use.writes
        shapes += [Shape(use.service, table.name, name, text) for name, text
                   in _write_statements(table, target, writes, use.statement_kinds())]
    return shapes


def _write_statements(table: TableShape, target: str, columns: tuple[str, ...],
                      kinds: frozenset[str]) -> list[tuple[str, str]]:
    values = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    returning = f" RETURNING {_names(table.columns)}"
    insert = f"INSERT INTO {target} ({_names(columns)}) VALUES ({values})"
    key = table.key or table.columns[:1]
    found = []
    if "insert" in kinds and columns:
        found.append(("insert", insert + returning))
    if {"insert", "update"} <= kinds and columns and key:
        sets = ", ".join(f"{identifier(c)} = EXCLUDED.{identifier(c)}" for c in columns)
        found.append(("upsert", f"{insert} ON CONFLICT ({_names(key)}) DO UPDATE SET {sets}"
                      + returning))
    if "update" in kinds and columns and key:
        assignments = ", ".join(f"{identifier(c)} = ${n}" for n, c in enumerate(columns, start=1))
        found.append(("update", f"UPDATE {target} SET {assignments} "
                      f"WHERE {_by_key(key, len(columns))}" + returning))
    if "delete" in kinds and key:
        found.append(("delete", f"DELETE FROM {target} WHERE {_by_key(key)}"))
    return found


def _by_key(key: tuple[str, ...], after: int = 0) -> str:
    return " AND ".join(f"{identifier(c)} = ${after + n}" for n, c in enumerate(key, start=1))


def _names(columns: Iterable[str]) -> str:
    return ", ".join(map(identifier, columns))
