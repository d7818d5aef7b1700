"""The catalog floor: the one reader of PostgreSQL's catalog for the schema's objects.

What is the app's and what is the platform's is defined once, in `managed.sql` (the managed
schemas, relations, routines and types: not pg_*, not extension members, not nivomigrate's
ledger, not the platform's part that `platform.py` finds) and every catalog query of the
schema starts from it. Each object kind is one `.sql` file in `kinds/`, one row of `KINDS`;
`read_catalog` runs them all as one query (one round trip, one snapshot of the catalog) and
returns frozen rows keyed by kind and qualified name. The default-ACL mapping (what a
pg_default_acl entry's kind is called and defaults to) is `acl.py`'s, given to the queries as
bound parameters.

Readers above this floor (snapshot.py, the diff, drift, adoption, the checks) take `Catalog`
rows or compose their own query over `managed.sql` with `query()`; none defines "managed"
again. Adding an object kind: one `kinds/<kind>.sql`, one row in `KINDS`, the scripting
function in `engine/diff_kinds.py`, tests (docs/architecture.md).
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from nivomigrate.catalog import acl
from nivomigrate.catalog.platform import Platform, read_platform

if TYPE_CHECKING:
    import psycopg

# nivomigrate's ledger and the schemas PostgreSQL keeps for itself. Schemas named pg_*
# (pg_catalog, pg_toast, pg_temp_N, pg_toast_temp_N) are always left out; the platform's
# schemas (Supabase's auth, storage, ...) are found in the catalog (platform.py).
DEFAULT_EXCLUDED: frozenset[str] = frozenset({
    "nivomigrate", "pg_catalog", "information_schema", "pg_toast",
})
# Migration ledgers: they differ between environments by design.
EXCLUDED_TABLES: frozenset[str] = frozenset({"public.alembic_version", "public._prisma_migrations"})


@dataclass(frozen=True)
class Kind:
    """One object kind: the file of `kinds/` that reads it, and the kinds of row it yields.

    `names`: the kinds its query writes in its rows' first column (a file may read related
    kinds at once: `function.sql` reads functions and procedures).
    `values`: the attributes' names when its query writes them as a JSON array of values in
    this order, parts last (the kinds of many rows: their keys, written in every row, were a
    tenth of the server's and the parser's work); else it writes a JSON object.
    """

    name: str
    sql: str
    names: tuple[str, ...] = ()
    values: tuple[str, ...] = ()

    @property
    def yields(self) -> tuple[str, ...]:
        return self.names or (self.name,)


# The kinds table: every object kind the catalog reads, in the order scripts create them.
KINDS: tuple[Kind, ...] = (
    Kind("schema", "schema.sql"),
    Kind("extension", "extension.sql"),
    Kind("collation", "collation.sql"),
    Kind("enum", "enum.sql"),
    Kind("domain", "domain.sql"),
    Kind("type", "type.sql"),
    Kind("sequence", "sequence.sql"),
    Kind("table", "table.sql", values=(
        "kind", "unlogged", "row_security", "force_row_security", "partition_key",
        "partition_of", "partition_bound", "comment")),
    Kind("column", "column.sql", values=(
        "type", "not_null", "default", "generated", "identity", "collation", "comment")),
    Kind("index", "index.sql", values=("table", "definition", "valid", "comment")),
    Kind("constraint", "constraint.sql", values=("type", "definition", "validated", "comment")),
    Kind("view", "view.sql", ("view", "materialized view")),
    Kind("function", "function.sql", ("function", "procedure")),
    Kind("trigger", "trigger.sql"),
    Kind("policy", "policy.sql"),
    Kind("grant", "grant.sql"),
    Kind("default_privileges", "default_privileges.sql"),
)
ROW_KINDS: frozenset[str] = frozenset(name for kind in KINDS for name in kind.yields)
# Row kind -> its attributes' names, for the kinds whose query writes values (`Kind.values`).
_VALUE_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {name: kind.values for kind in KINDS if kind.values for name in kind.yields})


_NO_PARTS: Mapping[str, object] = MappingProxyType({})


class Row(NamedTuple):
    """One object of the catalog: its kind, qualified name and attributes (read-only).

    A named tuple, not a frozen dataclass: a catalog of 1,000 tables makes 16,000 rows, and a
    frozen dataclass's `__init__` took a quarter of reading them.

    `parts` (read with `read_catalog(..., parts=True)`, else empty): what names the object and
    places it, not compared (a kind's query writes them as its attribute "parts" when
    `%(parts)s` is true): the unquoted names (`schema`, `table`, `name`, `column`,
    `grantee`, ...) and positions (a column's `position`), for readers that need a name's
    parts rather than the qualified name (which is ambiguous when a name holds a dot).
    """

    kind: str
    name: str
    attributes: Mapping[str, object]
    parts: Mapping[str, object] = _NO_PARTS

    @property
    def key(self) -> str:
        """The snapshot's key: "<kind> <qualified name>"."""
        return f"{self.kind} {self.name}"


# Items that are data, not schema: read for the script's sake, never a difference.
DATA_ITEMS: frozenset[str] = frozenset({"sequence_value"})


class Item(NamedTuple):
    """One of the diff's items (`items.sql`): a fact the diff scripts from besides the rows
    (a named tuple, as `Row`).

    `key` is SQL text naming the object; `ident` and `parent` its unquoted name parts
    (("rel", schema, name), ("sub", schema, table, name), ("func", schema, name, arguments)).
    """

    key: str
    ident: tuple[str, ...] | None
    parent: tuple[str, ...] | None
    value: object


@dataclass(frozen=True)
class Items:
    """One database's diff items by kind, then key ("acl" -> "TABLE public.t" -> item)."""

    items: Mapping[str, Mapping[str, Item]] = field(default_factory=dict)

    def of(self, kind: str) -> Mapping[str, Item]:
        return self.items.get(kind, MappingProxyType({}))

    def comparable(self) -> dict[str, dict[str, object]]:
        """Return the values of the schema's items (not data such as sequences' values)."""
        return {kind: {key: item.value for key, item in found.items()}
                for kind, found in self.items.items() if kind not in DATA_ITEMS}


@dataclass(frozen=True)
class Catalog:
    """One database's managed objects, by kind then qualified name, and its platform's part.

    `items`: the diff's items (`read_catalog(..., items=True)`), else empty.
    """

    rows: Mapping[str, Mapping[str, Row]] = field(default_factory=dict)
    platform: Platform = Platform()
    server_version: int = 0
    items: Items = Items()

    def of(self, kind: str) -> Mapping[str, Row]:
        """Return the rows of `kind` by qualified name (empty when there are none)."""
        return self.rows.get(kind, MappingProxyType({}))

    def __iter__(self):
        return (row for rows in self.rows.values() for row in rows.values())


@cache
def _read(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text()


def query(body: str) -> str:
    """Return `body` (a select, or more `name as (...)` CTEs and a select) over `managed.sql`.

    The result takes `parameters()`'s parameters (and any of `body`'s own); run it with
    search_path = pg_catalog.
    """
    code = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("--"))
    joint = "\n" if code.lstrip().lower().startswith("select") else ",\n"
    return "with " + _managed_ctes() + joint + body


def _managed_ctes() -> str:
    return "\n".join(line for line in _read("managed.sql").splitlines()
                     if not line.startswith("--"))


def parameters(platform: Platform, exclude_schemas=DEFAULT_EXCLUDED,
               exclude_tables=EXCLUDED_TABLES) -> dict[str, list[str]]:
    """Return `managed.sql`'s parameters: what is left out, with the platform's part."""
    return {"excluded_schemas": sorted(set(exclude_schemas) | platform.schemas),
            "excluded_tables": sorted(set(exclude_tables) | platform.relations),
            "excluded_routines": sorted(platform.routines),
            "platform_schemas": sorted(platform.schemas),
            **acl.parameters()}


def managed_parameters(conn: psycopg.Connection | psycopg.Cursor) -> dict[str, list[str]]:
    """Return `parameters()` for the database `conn` reads (its platform's part read first)."""
    return parameters(read_platform(conn))


@cache
def _objects_query(kinds: frozenset[str] | None = None) -> str:
    # The kinds build `json`, not `jsonb`: the rows only travel as one text, and building and
    # printing `jsonb` (keys sorted, values converted twice) was a third of the server's time.
    branches = "\nunion all\n".join(
        _read(f"kinds/{kind.sql}").strip() for kind in KINDS
        if kinds is None or kind.name in kinds)
    return query(
        f"managed_object (kind, name, attributes) as (\n{branches}\n)\n"
        "select coalesce(json_agg(json_build_array(kind, name, attributes)), '[]')::text\n"
        "from managed_object")


# Connection -> (read_catalog's arguments -> Catalog), while `read_once` holds it.
_read_once: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def read_once(*conns: psycopg.Connection | None) -> Iterator[None]:
    """Within the block, `read_catalog` reads each of `conns`' catalog once per set of
    arguments and gives the same rows again: for a decision, which judges one moment of a
    database through several checks and writes nothing to it meanwhile."""
    held = [conn for conn in conns if conn is not None and conn not in _read_once]
    for conn in held:
        _read_once[conn] = {}
    try:
        yield
    finally:
        for conn in held:
            _read_once.pop(conn, None)


def read_catalog(conn: psycopg.Connection, *,
                 exclude_schemas: frozenset[str] | set[str] = DEFAULT_EXCLUDED,
                 exclude_tables: frozenset[str] | set[str] = EXCLUDED_TABLES,
                 items: bool = False, kinds: frozenset[str] | None = None,
                 parts: bool = False) -> Catalog:
    """Read every managed object through `conn`: one transaction, two queries, only reads
    (once per `read_once` block).

    The platform's part of the database (platform.py) is always left out. Inside a transaction
    of the caller's (a savepoint then), the caller's search_path is given back afterwards.

    Args:
        exclude_schemas: schemas left out besides pg_* ones and the platform's.
        exclude_tables: "schema.table" names left out, with their indexes and constraints.
        items: read the diff's items too (`items.sql`, a third query).
        kinds: read only these kinds (names of `KINDS`' rows); None: all.
        parts: read the rows' `parts` too (else they are empty: the snapshot and the diff
            compare attributes, and 1,000 tables' parts cost them about half again).
    """
    arguments = (frozenset(exclude_schemas), frozenset(exclude_tables), items,
                 None if kinds is None else frozenset(kinds), parts)
    kept = _read_once.get(conn)
    if kept is not None and arguments in kept:
        return kept[arguments]
    read = _read_through(conn, *arguments)
    if kept is not None:
        kept[arguments] = read
    return read


def _read_through(conn: psycopg.Connection, exclude_schemas: frozenset[str],
                  exclude_tables: frozenset[str], items: bool, kinds: frozenset[str] | None,
                  parts: bool) -> Catalog:
    from psycopg.pq import TransactionStatus

    if kinds is not None and not set(kinds) <= {kind.name for kind in KINDS}:
        raise ValueError(f"no such kinds in KINDS: {sorted(kinds)}")
    nested = conn.info.transaction_status != TransactionStatus.IDLE
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("select pg_catalog.current_setting('search_path'), "
                    "pg_catalog.set_config('search_path', 'pg_catalog', true)")
        (search_path, _) = cur.fetchone()
        platform = read_platform(cur)
        managed = parameters(platform, exclude_schemas, exclude_tables)
        cur.execute(_objects_query(None if kinds is None else frozenset(kinds)),
                    managed | {"parts": parts})
        (document,) = cur.fetchone()
        read_items = Items()
        if items:
            cur.execute(query(_read("items.sql")), managed)
            read_items = _items(cur.fetchone()[0])
        if nested:
            cur.execute("select pg_catalog.set_config('search_path', %s, true)", (search_path,))
    return Catalog(_rows(document), platform, conn.info.server_version, read_items)


def _rows(document: str) -> Mapping[str, Mapping[str, Row]]:
    rows: dict[str, dict[str, Row]] = {}
    for kind, name, attributes in json.loads(document):
        names = _VALUE_NAMES.get(kind)
        if names is None:
            parts = attributes.pop("parts", None)
        else:
            parts = attributes.pop()
            # zip without a keyword (`strict=` made the loop a sixth slower): the tests
            # check that each file writes every value
            attributes = dict(zip(names, attributes))  # noqa: B905
        rows.setdefault(kind, {})[name] = Row(kind, name, MappingProxyType(attributes),
                                              MappingProxyType(parts) if parts else _NO_PARTS)
    return MappingProxyType({kind: MappingProxyType(found) for kind, found in rows.items()})


def _items(document: str) -> Items:
    found: dict[str, dict[str, Item]] = {}
    for kind, key, ident, parent, value in json.loads(document):
        found.setdefault(kind, {})[key] = Item(
            key, tuple(ident) if ident else None, tuple(parent) if parent else None, value)
    return Items(MappingProxyType({kind: MappingProxyType(rows) for kind, rows in found.items()}))
