"""Write the GRANT/REVOKE revision that gives each service's role exactly what it uses."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Report, Section
from nivomigrate.models import models_directory

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.roles import PrivilegeChange

_REVISION = '''"""{message}

Written by `nivomigrate roles` from policies/services.yaml (docs/roles.md): {grants} privileges
granted and {revokes} revoked for the service roles {roles}. The roles are NOLOGIN groups
created if absent (they belong to the whole cluster); the services' login users become members
outside revisions, with no password here. PUBLIC loses TEMPORARY on the database, so no
service login can create temporary tables. Downgrade undoes the grants and revokes and keeps the
roles, which another database of the cluster may use.

Revision ID: {revision}
Revises: {down_revision}
"""

from collections.abc import Sequence

from alembic import op

{database_ack}
revision: str = {revision!r}
down_revision: str | None = {down_revision!r}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = [
{roles_sql}
]

DATABASE = [
    {database_sql!r},
]

UNDO_DATABASE = [
    {undo_database_sql!r},
]

UPGRADE = [
{upgrade_sql}
]

DOWNGRADE = [
{downgrade_sql}
]


def upgrade() -> None:
    for statement in ROLES + DATABASE + UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE + UNDO_DATABASE:
        op.execute(statement)
'''


@dataclass(frozen=True)
class RolesResult:
    """The revision written (None when the database already matches) and its report."""

    path: Path | None
    report: Report


def write_roles_revision(settings: Settings, message: str = "Service roles", *,
                         dry_run: bool = False) -> RolesResult:
    """Compare the map with the privileges of the schema at head; write the difference: the
    revision and the models' declarations of it (`dry_run`: neither, both shown instead).

    Raises:
        ConfigError: services.yaml is invalid or the revisions do not have one head.
    """
    from nivomigrate import migrations
    from nivomigrate.db import connection
    from nivomigrate.engine.build import template_target
    from nivomigrate.policies.services import load_service_map

    services = load_service_map(settings.policies_dir)
    head = migrations.head(settings.versions_dir)
    with connection(template_target(settings, head), writes=False) as conn:
        change, unmapped = privilege_change(conn, services)
    findings = [_unmapped_finding(table) for table in unmapped]
    if change.is_empty:
        return RolesResult(None, _report(change, findings, None, None))
    if dry_run:
        return RolesResult(None, _dry_run(settings, head, change, services, message, findings))
    path = _write(settings.versions_dir, head, change, services, message)
    declarations = _declare(settings, services, models_directory(settings))
    return RolesResult(path, _report(change, findings, path, declarations))


def _dry_run(settings: Settings, head, change, services, message, findings) -> Report:
    """Write both files in a scratch copy of the revisions and report their text and paths."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="nivomigrate-roles-") as scratch:
        versions = Path(scratch) / "versions"
        shutil.copytree(settings.versions_dir, versions,
                        ignore=shutil.ignore_patterns("__pycache__"))
        (Path(scratch) / "models").mkdir()
        path = _write(versions, head, change, services, message)
        declared = _declare(replace(settings, versions_dir=versions), services,
                            Path(scratch) / "models")
        texts = (path.read_text(), declared.read_text())
    revision = settings.versions_dir / path.name
    declarations = models_directory(settings) / declared.name
    report = _report(change, findings, revision, declarations, dry_run=True)
    return replace(report, sections=(*report.sections,
                                     Section(str(revision), text=texts[0], language="python"),
                                     Section(str(declarations), text=texts[1],
                                             language="python")))


def _declare(settings: Settings, services, directory: Path) -> Path:
    """Declare the roles' privileges at the new head in `directory` (built in the shadow)."""
    from nivomigrate import migrations
    from nivomigrate.engine.build import template_target
    from nivomigrate.engine.declarations import write_role_declarations
    from nivomigrate.roles import service_roles

    head = migrations.head(settings.versions_dir)
    return write_role_declarations(
        template_target(settings, head), [role.role for role in service_roles(services)],
        revision=head, directory=directory)


def privilege_change(conn: psycopg.Connection, services) -> tuple[PrivilegeChange, list[str]]:
    """Return what to grant and revoke on `conn`'s database, and the tables the map lacks."""
    from nivomigrate.privileges import privileges_of, read_app_catalog, tables_of
    from nivomigrate.roles import difference, privilege_map, service_roles, unmapped_tables

    catalog = read_app_catalog(conn)
    tables = tables_of(catalog)
    roles = [role.role for role in service_roles(services)]
    change = difference(privilege_map(services, tables), privileges_of(catalog, roles))
    return change, unmapped_tables(services, tables)


def _write(versions_dir: Path, head: str | None, change: PrivilegeChange, services,
           message: str) -> Path:
    from nivomigrate import migrations
    from nivomigrate.roles import (
        DATABASE_ACK,
        PrivilegeChange,
        change_statements,
        create_role_sql,
        database_privileges_sql,
    )

    revision_id = migrations.next_revision_id(versions_dir)
    granted_roles = sorted({p.role for p in change.grants})
    undo = PrivilegeChange(grants=change.revokes, revokes=change.grants)
    text = _REVISION.format(
        message=message, grants=len(change.grants), revokes=len(change.revokes),
        roles=", ".join(sorted({p.role for p in change.grants + change.revokes})),
        revision=revision_id, down_revision=head,
        roles_sql=_listed(create_role_sql(role) for role in granted_roles),
        upgrade_sql=_listed(change_statements(change)),
        downgrade_sql=_listed(change_statements(undo)),
        database_ack=DATABASE_ACK, database_sql=database_privileges_sql(),
        undo_database_sql=database_privileges_sql(revoke=False),
    )
    slug = "_".join(message.lower().split())[:40] or "service_roles"
    path = versions_dir / f"{revision_id}_{''.join(c for c in slug if c.isalnum() or c == '_')}.py"
    path.write_text(text)
    return path


def _listed(statements) -> str:
    return "\n".join(f"    {statement!r}," for statement in statements)


def _unmapped_finding(table: str) -> Finding:
    from nivomigrate.checks.unmapped_table import finding

    return finding(table)


def _report(change: PrivilegeChange, findings: list[Finding], path: Path | None,
            declarations: Path | None, dry_run: bool = False) -> Report:
    rows = tuple((verb, p.role, p.name + (f".{p.column}" if p.column else ""), p.privilege)
                 for verb, privileges in (("grant", change.grants), ("revoke", change.revokes))
                 for p in privileges)
    verb = "dry run, nothing written: would write" if dry_run else "wrote"
    title = (f"{verb} the revision {path} ({len(change.grants)} grants, "
             f"{len(change.revokes)} revokes) and its declarations for the models, "
             f"{declarations}" if path
             else "the privileges at head already match policies/services.yaml")
    return Report(
        command="roles",
        title=title,
        findings=tuple(findings),
        sections=(Section("Privileges", ("change", "role", "object", "privilege"), rows),)
        if rows else (),
        data={"revision": str(path) if path else None, "dry_run": dry_run,
              "grants": len(change.grants),
              "revokes": len(change.revokes),
              **({"declarations": str(declarations)} if declarations else {})},
    )

