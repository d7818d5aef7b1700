"""The platform's part of a real database, copied into the shadow server.

Revisions for a Supabase database grant to `anon`, call `auth.uid()` and put triggers on
`auth.users`: they build in the shadow server only where the platform's roles and schemas
exist. nivomigrate copies them from one of the project's databases rather than running
Supabase's init scripts: the copy is the platform at the version the project runs (the scripts
change with every Supabase release, and hosted projects are upgraded in place), needs no
superuser on the source, and works for any platform the rule of `nivomigrate/platform.py`
recognises. What is copied:

- every role of the source that the shadow server lacks, created NOLOGIN (no passwords, no
  attributes: the shadow only needs their names as owners and grantees);
- `pg_dump --schema-only --no-privileges` of the platform's schemas and of the extensions in
  them (those the shadow server has), owners kept, so the copy is the platform's there too,
  less the app's triggers and policies on the platform's tables (they are the app's and come
  from the revisions).
- the platform's privilege setup: every role's default privileges (global, in `public` and in
  the platform's schemas) and the grants on schema `public` to the platform's roles, the API
  roles and `postgres`. On Supabase they give every table `postgres` creates in `public` to
  anon, authenticated and service_role: a revision built in the shadow gets the grants it gets
  on the real database, so adoption does not script them and the models and revisions agree.

The copy becomes a template database of the shadow server, `nivo_platform_<digest>`, made once
per distinct copy; the revisions' templates are built from it (`engine/build.py`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.db import Target

_ROLES_SQL = "select rolname::text from pg_roles where rolname !~ '^pg_' order by 1"
_EXTENSIONS_SQL = """
select e.extname::text from pg_extension e join pg_namespace n on n.oid = e.extnamespace
where n.nspname = any(%s) order by 1
"""
# The platform's privilege setup, as statements: the default privileges of every role (global,
# in `public` and in the platform's schemas; a global entry replaces the built-in default, so it
# starts from nothing), and the grants on schema `public` to the platform's and API roles. The
# migration role's own default privileges (and its grants to itself) are written for
# `current_user`: in the shadow they are those of the role the revisions run as there. Over the
# catalog's managed.sql (its default-ACL mapping, `default_acl_kind`).
_PRIVILEGES_SQL = """
default_entry as (
    select case when d.defaclrole = (select oid from pg_roles where rolname = current_user)
                then 'current_user' else d.defaclrole::regrole::text end as role,
           n.nspname as schema, k.noun, d.defaclacl
    from pg_default_acl d
    join default_acl_kind k on k.objtype = d.defaclobjtype
    left join pg_namespace n on n.oid = d.defaclnamespace
    where d.defaclnamespace = 0 or n.nspname = any(%(schemas)s)
)
select 1, format('alter default privileges for role %%s revoke all on %%s from public, %%s;',
                 role, noun, role)
from default_entry where schema is null
union all
select 2, format('alter default privileges for role %%s%%s grant %%s on %%s to %%s%%s;',
                 e.role, coalesce(' in schema ' || quote_ident(e.schema), ''),
                 string_agg(x.privilege_type, ', ' order by x.privilege_type), e.noun,
                 case x.grantee when 0 then 'public'
                      when (select oid from pg_roles where rolname = current_user)
                      then 'current_user' else x.grantee::regrole::text end,
                 case when x.is_grantable then ' with grant option' else '' end)
from default_entry e cross join lateral aclexplode(e.defaclacl) x
group by e.role, e.schema, e.noun, x.grantee, x.is_grantable
union all
select 3, format('grant %%s on schema public to %%I%%s;',
                 string_agg(x.privilege_type, ', ' order by x.privilege_type),
                 pg_get_userbyid(x.grantee),
                 case when x.is_grantable then ' with grant option' else '' end)
from pg_namespace n cross join lateral aclexplode(n.nspacl) x
where n.nspname = 'public' and x.grantee <> 0 and x.grantee::regrole::text = any(%(grantees)s)
group by x.grantee, x.is_grantable
order by 1, 2
"""


@dataclass(frozen=True)
class PlatformCopy:
    """The platform's part of one database, as SQL the shadow server runs."""

    roles: tuple[str, ...]
    sql: str
    source: str

    @property
    def digest(self) -> str:
        text = "\n".join(self.roles) + "\n" + self.sql
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def template(self, role: str) -> str:
        """Name the shadow database holding this copy for `role` (a role copies only its own
        databases)."""
        digest = hashlib.sha256(f"{self.digest}\nrole:{role}".encode()).hexdigest()[:12]
        return f"nivo_platform_{digest}"


def read_copy(target: Target, available_extensions: set[str]) -> PlatformCopy | None:
    """Return the platform's part of `target` as SQL; None when it has none (plain PostgreSQL).

    Args:
        available_extensions: the extensions the shadow server can create; others are left
            out (a revision that needs one then fails there, named).

    Raises:
        DatabaseConnectionError: `target` cannot be reached.
        ConfigError: pg_dump is missing, too old for the server, or fails.
    """
    from nivomigrate.catalog import read_platform
    from nivomigrate.db import connection
    from nivomigrate.snapshot import take_snapshot

    with connection(target, writes=False) as conn:
        if not read_platform(conn).schemas:
            return None  # plain PostgreSQL, told by one small query before the whole catalog
        snapshot = take_snapshot(conn)
        platform = snapshot.platform
        roles = tuple(row[0] for row in conn.execute(_ROLES_SQL).fetchall())
        extensions = [row[0] for row in conn.execute(
            _EXTENSIONS_SQL, (sorted(platform.schemas),)).fetchall()]
        privileges = _privileges(conn, platform)
        major = conn.info.server_version // 10000
    attached = [key.split(" ", 1) for key in snapshot.objects
                if key.startswith(("trigger ", "policy "))
                and key.split(" ", 1)[1].split(".", 1)[0] in platform.schemas]
    sql = _dump(target, major, sorted(platform.schemas),
                [name for name in extensions if name in available_extensions], attached)
    return PlatformCopy(roles, sql + privileges, target.name)


def _privileges(conn: psycopg.Connection, platform) -> str:
    """Return the platform's privilege setup (`_PRIVILEGES_SQL`) as statements."""
    from nivomigrate import catalog
    from nivomigrate.catalog.platform import API_ROLES, PLATFORM_ROLES

    rows = conn.execute(catalog.query(_PRIVILEGES_SQL), {
        **catalog.parameters(platform),
        "schemas": sorted(platform.schemas | {"public"}),
        "grantees": sorted(PLATFORM_ROLES | set(API_ROLES) | {"postgres"})}).fetchall()
    return "".join(statement + "\n" for _, statement in rows)


def _dump(target: Target, major: int, schemas: list[str], extensions: list[str],
          attached: list[list[str]]) -> str:
    """pg_dump the schemas and extensions, less the app's triggers and policies on them."""
    binaries = _client_binaries(major)
    with tempfile.TemporaryDirectory(prefix="nivo-platform-") as folder:
        archive = Path(folder) / "platform.dump"
        _run(target, [binaries / "pg_dump", "--schema-only", "--no-privileges", "-Fc",
                      "-f", archive, *(f"--schema={s}" for s in schemas),
                      *(f"--extension={e}" for e in extensions)], with_database=True)
        listing = _run(target, [binaries / "pg_restore", "-l", archive])
        kept = [line for line in listing.splitlines() if not _is_attached(line, attached)]
        (Path(folder) / "list").write_text("\n".join(kept) + "\n")
        sql = _run(target, [binaries / "pg_restore", "-L", Path(folder) / "list", "-f", "-",
                            archive])
    return "\n".join(line for line in sql.splitlines()
                     if not line.startswith(("\\restrict ", "\\unrestrict "))) + "\n"


def _is_attached(line: str, attached: list[list[str]]) -> bool:
    """Return whether a `pg_restore -l` line is one of the app's triggers or policies."""
    for kind, name in attached:
        schema, table, object_name = name.split(".", 2)
        if f" {kind.upper()} {schema} {table} {object_name} " in line:
            return True
    return False


def _client_binaries(major: int) -> Path:
    from nivomigrate.shadow import major_version_of, server_binaries

    binaries = server_binaries(preferred_major=major)
    if binaries is None or not (binaries / "pg_dump").exists():
        raise ConfigError("pg_dump is not installed: the shadow server cannot copy the "
                          "platform's schemas", hint=f"install postgresql-client-{major}")
    if int(major_version_of(binaries)) < major:
        raise ConfigError(f"pg_dump {major_version_of(binaries)} cannot read a PostgreSQL "
                          f"{major} database", hint=f"install postgresql-client-{major}")
    return binaries


def _run(target: Target, command: list, with_database: bool = False) -> str:
    """Run a client binary; the password goes through the environment, never the argv."""
    from sqlalchemy.engine import make_url

    from nivomigrate.redaction import redact

    environ = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    command = [str(part) for part in command]
    if with_database:
        url = make_url(target.url)
        if url.password:
            environ["PGPASSWORD"] = str(url.password)
        command.append("--dbname=" + url.set(password=None, drivername="postgresql")
                       .render_as_string(hide_password=False))
    result = subprocess.run(command, capture_output=True, text=True, env=environ)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise ConfigError(f"could not copy the platform's schemas from {target.name}: "
                          f"{redact(reason)}",
                          hint="the shadow server needs the roles and schemas of the "
                          "platform; check that pg_dump can read them as this user")
    return result.stdout


def available_extensions(conn: psycopg.Connection) -> set[str]:
    """Return the extensions the server of `conn` can create."""
    return {row[0] for row in conn.execute("select name from pg_available_extensions")}


def ensure_template(admin_url: str, copy: PlatformCopy) -> str:
    """Return the shadow database holding `copy`, making it (and the roles) once, held for
    this process (`shadow.hold_template`).

    Raises:
        MigrationError: the copy does not run in the shadow server.
    """
    from nivomigrate import shadow

    name = copy.template(shadow.login_role(admin_url))
    if shadow.hold_template(admin_url, name):
        return name
    _create_roles(admin_url, copy.roles)
    building = shadow.scratch_name("nivo_platform_build")
    url = shadow.create_database(admin_url, building, "template0")
    try:
        _load(url, copy)
        shadow.rename_database(admin_url, building, name)
    except BaseException:
        shadow.drop_database(admin_url, building)
        raise
    return name


def _create_roles(admin_url: str, roles: tuple[str, ...]) -> None:
    import psycopg
    from psycopg import sql

    from nivomigrate.shadow import admin_connection

    with admin_connection(admin_url) as conn:
        existing = {row[0] for row in conn.execute(_ROLES_SQL).fetchall()}
        for role in roles:
            if role not in existing:
                try:
                    conn.execute(sql.SQL("create role {} nologin").format(sql.Identifier(role)))
                except psycopg.errors.DuplicateObject:
                    pass  # made meanwhile by a concurrent run


def _load(url: str, copy: PlatformCopy) -> None:
    import psycopg

    from nivomigrate.errors import MigrationError
    from nivomigrate.redaction import redact
    from nivomigrate.shadow import admin_connection

    with admin_connection(url) as conn:
        try:
            conn.execute(copy.sql)
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0]
            raise MigrationError(
                f"the platform's schemas copied from {copy.source} do not build in the "
                f"shadow server: {redact(reason)}",
                hint="use a shadow server of the same PostgreSQL version and extensions "
                "(NIVOMIGRATE_SHADOW_URL)") from None
