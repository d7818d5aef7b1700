"""`policies/hot_queries.yaml`: the queries each service runs on every request, and how
they filter and sort (read by the hot-query checks, coverage and plan)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nivomigrate import quoting
from nivomigrate.errors import ConfigError

HOT_QUERIES_FILE = "hot_queries.yaml"
_TOP_KEYS = {"version", "source", "queries"}
_QUERY_KEYS = {"name", "service", "table", "equality", "range", "order", "predicate",
               "required", "source", "sql", "note"}
_ORDER_KEYS = {"column", "direction", "nulls"}


@dataclass(frozen=True)
class OrderKey:
    """One ORDER BY key: a column (or expression), its direction and where NULLs go."""

    column: str
    direction: str = "asc"
    nulls: str | None = None  # "first" or "last"; None is PostgreSQL's default for direction

    @property
    def is_descending(self) -> bool:
        return self.direction == "desc"

    @property
    def is_nulls_first(self) -> bool:
        return self.nulls == "first" if self.nulls else self.is_descending

    def __str__(self) -> str:
        text = quote_name(self.column) + (" DESC" if self.is_descending else "")
        if self.nulls:
            text += f" NULLS {self.nulls.upper()}"
        return text


@dataclass(frozen=True)
class HotQuery:
    """A query the services run often enough that it must never scan its table."""

    name: str
    service: str
    table: str
    equality: tuple[str, ...] = ()
    order: tuple[OrderKey, ...] = ()
    range: str | None = None
    predicate: str | None = None
    required: bool = True
    source: str | None = None
    sql: str | None = None
    note: str | None = None
    where: str = ""  # file:line of the entry in the policy file

    @property
    def tail(self) -> tuple[OrderKey, ...]:
        """The keys that must follow the equality columns: ORDER BY keys, else the range."""
        keys = tuple(key for key in self.order if key.column not in self.equality)
        if keys:
            return keys
        return (OrderKey(self.range),) if self.range and self.range not in self.equality else ()


def load_hot_queries(path: Path) -> list[HotQuery]:
    """Read `hot_queries.yaml`; an absent file means no hot queries.

    Raises:
        ConfigError: invalid YAML, an unknown key, a missing or mistyped value (with file:line).
    """
    import yaml

    from nivomigrate.files import read_text
    from nivomigrate.policies import load_policy, reject_unknown_keys

    document = load_policy(path, _TOP_KEYS)
    if not document:
        return []
    entries = document.get("queries") or []
    # libyaml when installed: the pure-Python composer took 0.3 s on the NivoStack file.
    root = yaml.compose(read_text(path), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    nodes = _sequence_items(root, "queries")
    if not isinstance(entries, list):
        raise ConfigError(f"{path}:{_line(root)}: queries must be a list",
                          hint="see docs/coverage.md")
    queries, names = [], set()
    for position, entry in enumerate(entries):
        where = f"{path}:{_line(nodes[position]) if position < len(nodes) else 1}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: each hot query must be a mapping",
                              hint="see docs/coverage.md")
        reject_unknown_keys(entry, _QUERY_KEYS, _key_where(path, nodes, position, entry))
        query = _hot_query(entry, where)
        if query.name in names:
            raise ConfigError(f"{where}: duplicate hot query name {query.name!r}",
                              hint="names must be unique: waivers refer to them")
        names.add(query.name)
        queries.append(query)
    return queries


def _hot_query(entry: dict, where: str) -> HotQuery:
    for key in ("name", "service", "table"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ConfigError(f"{where}: {key!r} must be a non-empty string",
                              hint="see docs/coverage.md")
    equality = entry.get("equality") or []
    if not isinstance(equality, list) or not all(isinstance(c, str) for c in equality):
        raise ConfigError(f"{where}: 'equality' must be a list of column names",
                          hint="for example: equality: [projectId, deviceId]")
    order = tuple(_order_key(item, where) for item in entry.get("order") or [])
    if not equality and not order and not entry.get("range"):
        raise ConfigError(f"{where}: hot query {entry['name']!r} names no equality, range "
                          "or order column", hint="an index can only serve those")
    if not isinstance(entry.get("required", True), bool):
        raise ConfigError(f"{where}: 'required' must be true or false", hint="see docs/coverage.md")
    return HotQuery(
        name=entry["name"], service=entry["service"], table=entry["table"],
        equality=tuple(equality), order=order, range=entry.get("range"),
        predicate=_text(entry.get("predicate")), required=entry.get("required", True),
        source=_text(entry.get("source")), sql=_text(entry.get("sql")),
        note=_text(entry.get("note")), where=where,
    )


def _order_key(item: object, where: str) -> OrderKey:
    if isinstance(item, str):
        item = {"column": item}
    if not isinstance(item, dict) or not isinstance(item.get("column"), str):
        raise ConfigError(f"{where}: each 'order' entry needs a column",
                          hint="for example: order: [{column: timestamp, direction: desc}]")
    from nivomigrate.policies import reject_unknown_keys

    reject_unknown_keys(item, _ORDER_KEYS, f"{where} (order)")
    direction = str(item.get("direction", "asc")).lower()
    nulls = str(item["nulls"]).lower() if item.get("nulls") else None
    if direction not in {"asc", "desc"} or nulls not in {None, "first", "last"}:
        raise ConfigError(f"{where}: order direction must be asc or desc, nulls first or last",
                          hint=f"got direction={item.get('direction')!r}")
    return OrderKey(item["column"], direction, nulls)


def _text(value: object) -> str | None:
    return str(value).strip() or None if value is not None else None


def _sequence_items(root, key: str) -> list:
    if root is None or not hasattr(root, "value") or not isinstance(root.value, list):
        return []
    for key_node, value_node in root.value:
        if getattr(key_node, "value", None) == key and isinstance(value_node.value, list):
            return value_node.value
    return []


def _key_where(path: Path, nodes: list, position: int, entry: dict) -> str:
    """Return file:line of the first unknown key (reject_unknown_keys names the key)."""
    if position >= len(nodes):
        return str(path)
    unknown = sorted(set(entry) - _QUERY_KEYS)
    for key_node, _ in nodes[position].value:
        if unknown and key_node.value == unknown[0]:
            return f"{path}:{_line(key_node)}"
    return f"{path}:{_line(nodes[position])}"


def _line(node) -> int:
    return node.start_mark.line + 1 if node is not None else 1


def quote_name(identifier: str) -> str:
    """Double-quote a name as Prisma writes it; an expression (`lower(email)`) stays as is."""
    if "(" in identifier:
        return identifier
    return quoting.identifier(identifier)
