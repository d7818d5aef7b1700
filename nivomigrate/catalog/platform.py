"""The platform's part of a database: Supabase's schemas, roles and extensions, not ours.

On Supabase the database also holds what the platform made and runs: its schemas (auth,
storage, realtime, graphql_public, ...), the objects its roles own (supabase_admin,
supabase_auth_admin, ...), and the members of extensions. nivomigrate never reports,
compares, scripts or suggests dropping any of it: the same rule as alembic's `include_object`
hook for autogenerate, decided from the catalog rather than from a list of schema names.

An object is the platform's when
- it belongs to an extension (pg_depend deptype 'e'), or
- its owner is one of `PLATFORM_ROLES`, or
- it is in a platform schema: one owned by a platform role, one an extension made, or one of
  `PLATFORM_SCHEMAS`, which Supabase's scripts create while they run as `postgres` (so their
  owner does not tell), with every object in it.
The app's own attachments to the platform's tables stay the app's: a trigger on `auth.users`
whose function is in an app schema, and policies (Supabase's scripts make none).

This module reads the rule's answer for one database (`read_platform`, `platform.sql`) and is
its Python predicate (`Platform.owns_relation`); the catalog's `managed.sql` leaves out what it
finds (and keeps the app's triggers and policies on the platform's tables).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# Supabase's roles (supabase/postgres init scripts and services). `postgres` is the app's.
PLATFORM_ROLES: frozenset[str] = frozenset({
    "supabase_admin", "supabase_auth_admin", "supabase_storage_admin",
    "supabase_realtime_admin", "supabase_functions_admin", "supabase_replication_admin",
    "supabase_read_only_user", "supabase_etl_admin", "dashboard_user", "authenticator",
    "pgbouncer", "pgsodium_keyholder", "pgsodium_keyiduser", "pgsodium_keymaker",
})
# Schemas Supabase creates as `postgres`: `extensions` (its init scripts, before `postgres`
# is demoted) and `supabase_migrations` (the Supabase CLI's migration history).
PLATFORM_SCHEMAS: frozenset[str] = frozenset({"extensions", "supabase_migrations"})
# The roles a Supabase project's grants and policies name (they own nothing).
API_ROLES: tuple[str, ...] = ("anon", "authenticated", "service_role")

_PLATFORM_SQL = resources.files(__package__).joinpath("platform.sql").read_text()


@dataclass(frozen=True)
class Platform:
    """The platform's part of one database, by qualified name.

    `schemas`: the platform's schemas (everything in them is the platform's, but the app's
    triggers and policies on their tables). `relations` and `routines`: the platform's objects
    in the app's schemas ("schema.name", "schema.name(args)"). `roles`: the platform roles
    that exist there.
    """

    schemas: frozenset[str] = frozenset()
    relations: frozenset[str] = frozenset()
    routines: frozenset[str] = frozenset()
    roles: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (self.schemas or self.relations or self.routines)

    @property
    def owns_default_privileges(self) -> bool:
        """Whether default privileges are the platform's configuration here (Supabase's init
        scripts set them for `postgres`): the snapshot, drift and the diff leave them out, and
        `platform-defaults` compares what they decide between staging and prod."""
        return bool(self.schemas)

    def owns_relation(self, schema: str, name: str) -> bool:
        """Return whether the relation `schema.name` (or anything of it) is the platform's."""
        return schema in self.schemas or f"{schema}.{name}" in self.relations


def parameters() -> dict[str, list[str]]:
    """Return the rule's query parameters (for platform.sql)."""
    return {"platform_roles": sorted(PLATFORM_ROLES),
            "platform_schemas": sorted(PLATFORM_SCHEMAS)}


def read_platform(conn: psycopg.Connection) -> Platform:
    """Return the platform's part of the database `conn` is connected to (one read)."""
    row = conn.execute(_PLATFORM_SQL, parameters()).fetchone()
    schemas, relations, routines, roles = row
    return Platform(frozenset(schemas), frozenset(relations), frozenset(routines),
                    frozenset(roles))
