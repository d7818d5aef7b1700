"""`policies/services.yaml`: which tables and columns each service reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nivomigrate.errors import ConfigError
from nivomigrate.policies import load_policy, reject_unknown_keys

SERVICES_FILE = "services.yaml"
_SERVICE_KEYS = {"description", "routes", "handlers", "tables"}
OPERATIONS = ("insert", "update", "delete")


@dataclass(frozen=True)
class TableUse:
    service: str
    table: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    # `operations:` the statement kinds it runs (insert, update, delete); None when absent
    operations: tuple[str, ...] | None = None

    def statement_kinds(self) -> frozenset[str]:
        """Return the kinds of write it runs: `operations`, or else what `writes` implies.

        Without `operations`, listed writes mean insert and update, and `"*"` also delete.
        """
        if self.operations is not None:
            return frozenset(self.operations)
        implied = {"insert", "update"} if self.writes else set()
        return frozenset(implied | ({"delete"} if "*" in self.writes else set()))

    def uses(self, column: str | None) -> tuple[str, ...]:
        """Return how the service uses the column (or, for None, the table).

        Any of "reads", "writes" and, for the table only, "deletes".
        """
        how = []
        for verb, columns in (("reads", self.reads), ("writes", self.writes)):
            if columns and (column is None or column in columns or "*" in columns):
                how.append(verb)
        if column is None and "delete" in self.statement_kinds():
            how.append("deletes")
        return tuple(how)


@dataclass(frozen=True)
class ServiceMap:
    uses: tuple[TableUse, ...] = ()
    owners: dict[str, str] | None = None
    # `roles:` of services.yaml: service -> its database group role; `<service>_read` names a
    # read-only role with the SELECTs of that service (nivomigrate/roles.py derives both).
    roles: dict[str, str] | None = None

    def of_table(self, table: str) -> list[TableUse]:
        return [use for use in self.uses if use.table == table]


def load_service_map(policies_dir: Path) -> ServiceMap:
    """Read `policies/services.yaml`; an absent file gives an empty map.

    Raises:
        ConfigError: invalid YAML or an unknown key.
    """
    path = policies_dir / SERVICES_FILE
    raw = load_policy(path, {"version", "source", "owners", "roles", "services"})
    uses = []
    for service, body in _mapping(raw.get("services"), path, "services").items():
        body = _mapping(body, path, f"services.{service}")
        reject_unknown_keys(body, _SERVICE_KEYS, f"{path} services.{service}")
        tables = _mapping(body.get("tables"), path, f"services.{service}.tables")
        for table, columns in tables.items():
            where = f"services.{service}.tables.{table}"
            columns = _mapping(columns, path, where)
            reject_unknown_keys(columns, {"reads", "writes", "operations"}, f"{path} {where}")
            uses.append(_table_use(str(service), str(table), columns, path, where))
    owners = _names_by_name(raw.get("owners"), path, "owners")
    roles = _names_by_name(raw.get("roles"), path, "roles")
    return ServiceMap(tuple(uses), {str(k): str(v) for k, v in owners.items()},
                      {str(k): str(v) for k, v in roles.items()})


def _table_use(service: str, table: str, columns: dict, path: Path, where: str) -> TableUse:
    writes = _names(columns.get("writes"), path, f"{where}.writes")
    operations = _operations(columns.get("operations"), path, f"{where}.operations")
    if operations is not None and bool(writes) != bool({"insert", "update"} & set(operations)):
        raise ConfigError(f"{path}: {where}: writes must name columns exactly when "
                          "operations has insert or update",
                          hint="a table it only deletes from: writes: [], operations: [delete]")
    return TableUse(service, table, _names(columns.get("reads"), path, f"{where}.reads"),
                    writes, operations)


def _operations(value: object, path: Path, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not set(map(str, value)) <= set(OPERATIONS):
        raise ConfigError(f"{path}: {where} must be a list of {', '.join(OPERATIONS)}, "
                          f"not {value!r}",
                          hint="the statement kinds the service runs, e.g. [insert, update]")
    return tuple(kind for kind in OPERATIONS if kind in value)


def _names_by_name(value: object, path: Path, where: str) -> dict:
    """Return a mapping of names to names (`owners`, `roles`).

    Raises:
        ConfigError: it is not a mapping, or a value is not a single name.
    """
    mapping = _mapping(value, path, where)
    for key, name in mapping.items():
        if not isinstance(name, str):
            raise ConfigError(f"{path}: {where}.{key} must be a name, not {name!r}",
                              hint="see policies/services.yaml's header")
    return mapping


def _mapping(value: object, path: Path, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: {where} must be a mapping, not {value!r}",
                          hint="see policies/services.yaml's header")
    return value


def _names(value: object, path: Path, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ConfigError(f"{path}: {where} must be a list of column names, not {value!r}",
                          hint='e.g. reads: [id, "projectId"], or ["*"] for every column')
    return tuple(map(str, value))


def rename_owner(policies_dir: Path, old: str, new: str) -> bool:
    """Give table `new` the owner of table `old` in services.yaml's `owners:` (a renamed table
    keeps its owner); the line is edited in place, its comment kept. Return whether one was.

    Written by hand: a YAML round trip would drop the file's comments, which are its
    documentation."""
    import re

    path = policies_dir / SERVICES_FILE
    if not path.is_file():
        return False
    lines = path.read_text().splitlines(keepends=True)
    inside = False
    pattern = re.compile(r'^(\s+)(["\']?)' + re.escape(old) + r'\2(\s*:)')
    for number, line in enumerate(lines):
        if not line.startswith((" ", "#")) and line.strip():
            inside = line.startswith("owners:")
            continue
        if inside and pattern.match(line):
            lines[number] = pattern.sub(lambda m: f"{m.group(1)}{new}{m.group(3)}", line, 1)
            path.write_text("".join(lines))
            return True
    return False
