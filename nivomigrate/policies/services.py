"""`policies/services.yaml`: which tables and columns each service reads and writes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    for service, body in (raw.get("services") or {}).items():
        reject_unknown_keys(body or {}, _SERVICE_KEYS, f"{path} services.{service}")
        for table, columns in ((body or {}).get("tables") or {}).items():
            columns = columns or {}
            reject_unknown_keys(columns, {"reads", "writes"},
                                f"{path} services.{service}.tables.{table}")
            uses.append(TableUse(str(service), str(table),
                                 tuple(map(str, columns.get("reads") or ())),
                                 tuple(map(str, columns.get("writes") or ()))))
    owners = raw.get("owners") if isinstance(raw.get("owners"), dict) else {}
    roles = raw.get("roles") if isinstance(raw.get("roles"), dict) else {}
    return ServiceMap(tuple(uses), {str(k): str(v) for k, v in owners.items()},
                      {str(k): str(v) for k, v in roles.items()})
