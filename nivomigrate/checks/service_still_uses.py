"""service-still-uses: a dropped or renamed table or column that a service still reads or writes.

Problem: ingest, control and studio share one database and deploy on their own; a column
dropped while a service's Prisma client still selects it makes every query of that model fail
("column does not exist") until the service is redeployed.
Do instead: expand/contract. Deploy the services without the column first (update
`policies/services.yaml`), then drop it in a later revision; for a rename, add the new column,
write both, backfill, switch the readers, then drop the old one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Severity
from nivomigrate.policies import load_policy, reject_unknown_keys

if TYPE_CHECKING:
    from nivomigrate.checks.revision_sql import Change, RevisionSQL

NAME = "service-still-uses"
FILE_NAME = "services.yaml"
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

    def of_table(self, table: str) -> list[TableUse]:
        return [use for use in self.uses if use.table == table]


def load_service_map(policies_dir: Path) -> ServiceMap:
    """Read `policies/services.yaml`; an absent file gives an empty map.

    Raises:
        ConfigError: invalid YAML or an unknown key.
    """
    path = policies_dir / FILE_NAME
    raw = load_policy(path, {"version", "source", "owners", "services"})
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
    return ServiceMap(tuple(uses), {str(k): str(v) for k, v in owners.items()})


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


def run(revision: RevisionSQL, services: ServiceMap) -> list[Finding]:
    """Flag each drop or rename of a table or column that a service in the map still uses."""
    findings = []
    created = revision.created_tables()
    for statement in revision.statements:
        for change in statement.changes:
            if change.kind not in {"drop_table", "rename_table", "drop_column", "rename_column"}:
                continue
            if change.table in created:
                continue
            users = [(use.service, use.uses(change.column)) for use in
                     services.of_table(change.table)]
            users = [(service, how) for service, how in users if how]
            if users:
                findings.append(_finding(revision, statement, change, users, services))
    return findings


def _finding(revision, statement, change: Change, users, services: ServiceMap) -> Finding:
    obj = f"{change.table}.{change.column}" if change.column else change.table
    verb = "renamed" if change.kind.startswith("rename") else "dropped"
    who = "; ".join(f"{service} {' and '.join(how)} it" for service, how in users)
    owner = (services.owners or {}).get(change.table)
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=f'"{obj}" is {verb} while services still use it: {who}',
        location=revision.location(statement, obj),
        help=("expand/contract: first deploy the services without it and update "
              "policies/services.yaml, then drop it in a later revision"
              + (f"; owner of {change.table}: {owner}" if owner else "")
              + ("; for a rename add the new column, write both, backfill, switch readers, "
                 "then drop the old" if verb == "renamed" else "")),
        evidence=(("statement", statement.sql),
                  *((f"service {service}", ", ".join(how)) for service, how in users)),
    )
