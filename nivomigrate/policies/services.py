"""`policies/services.yaml`: which tables and columns each service reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nivomigrate.errors import ConfigError
from nivomigrate.policies import load_policy, reject_unknown_keys

SERVICES_FILE = "services.yaml"
_SERVICE_KEYS = {"description", "routes", "handlers", "tables"}


@dataclass(frozen=True)
class TableUse:
    service: str
    table: str
    reads: tuple[str, ...]
    writes: tuple[str, ...]

    def uses(self, column: str | None) -> tuple[str, ...]:
        """Return how the service uses the column (or, for None, the table): reads/writes."""
        how = []
        for verb, columns in (("reads", self.reads), ("writes", self.writes)):
            if columns and (column is None or column in columns or "*" in columns):
                how.append(verb)
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
            reject_unknown_keys(columns, {"reads", "writes"}, f"{path} {where}")
            uses.append(TableUse(str(service), str(table),
                                 _names(columns.get("reads"), path, f"{where}.reads"),
                                 _names(columns.get("writes"), path, f"{where}.writes")))
    owners = raw.get("owners") if isinstance(raw.get("owners"), dict) else {}
    roles = raw.get("roles") if isinstance(raw.get("roles"), dict) else {}
    return ServiceMap(tuple(uses), {str(k): str(v) for k, v in owners.items()},
                      {str(k): str(v) for k, v in roles.items()})


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
