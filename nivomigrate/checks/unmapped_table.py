"""unmapped-table: every table of the schema is named in policies/services.yaml.

Problem: the service roles get no default privileges, so a table services.yaml does not name
is closed to every service: the service that was meant to use it fails in production, and
nobody said who owns it.
Do instead: add the table to `owners:` and to the `tables:` of each service that uses it, then
run `nivomigrate roles` to write its grants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from nivomigrate.policies.services import ServiceMap

NAME = "unmapped-table"


def finding(table: str) -> Finding:
    """Return the finding for one table services.yaml does not name."""
    return Finding(
        check=NAME,
        severity=Severity.ERROR,
        message=f'table "{table}" is not in policies/services.yaml, so no service role may '
                "use it",
        location=Location(object=table),
        help=f"add {table}: <service> under owners: and the columns each service reads and "
             "writes under services.<service>.tables, then run `nivomigrate roles`",
    )


def findings(services: ServiceMap, table_names: Iterable[str]) -> list[Finding]:
    """Report each table of `table_names` that services.yaml neither owns nor maps.

    A project without services.yaml (no service uses listed) is not judged.
    """
    from nivomigrate.roles import unmapped_tables

    if not services.uses:
        return []
    return [finding(table) for table in unmapped_tables(services, table_names)]
