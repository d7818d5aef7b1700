"""platform-defaults: on Supabase, staging and prod give new objects the same grants.

Problem: on a Supabase project the default privileges of `postgres` in `public` are the
platform's (its init scripts set them, and since 2026-05-30 new projects no longer give new
tables to anon, authenticated and service_role), so the snapshot leaves them out. But they decide
the grants of every table, sequence and function a revision creates: an older prod and a newer
staging then get different grants from the same revision, and the promotion fails its
verification after the revision has run on prod.
Do instead: make prod's default privileges staging's before promoting (the fix lists the
ALTER DEFAULT PRIVILEGES statements to run on prod as the migration role), or staging's prod's.

Compared where the promotion gate reads both databases, only where they have the platform's
schemas (elsewhere default privileges are part of the snapshot, drift and verification); an
ERROR while revisions are pending, a WARNING when nothing is (nothing gets created yet).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    import psycopg

NAME = "platform-defaults"
EXIT_CODE = 3
# The migration role's default privileges in public: (objects, grantee, privilege), over the
# catalog floor's managed.sql (its default-ACL mapping, `default_acl_kind`).
_DEFAULTS_SQL = """
select k.noun,
       case x.grantee when 0 then 'public' else x.grantee::regrole::text end,
       x.privilege_type
from pg_default_acl d
join default_acl_kind k on k.objtype = d.defaclobjtype
cross join lateral aclexplode(d.defaclacl) x
where d.defaclrole = (select oid from pg_roles where rolname = current_user)
  and x.grantee <> d.defaclrole
  and d.defaclnamespace = 'public'::regnamespace
"""


def findings(staging: psycopg.Connection, target: psycopg.Connection, environment: str,
             pending: bool) -> list[Finding]:
    """Compare the migration role's default privileges of staging and `target` (prod)."""
    from nivomigrate.catalog.platform import read_platform

    platforms = [read_platform(conn) for conn in (staging, target)]
    if not any(platform.owns_default_privileges for platform in platforms):
        return []
    wanted, found = _defaults(staging, platforms[0]), _defaults(target, platforms[1])
    if wanted == found:
        return []
    fix = _statements(wanted - found, "grant", "to") + _statements(found - wanted, "revoke",
                                                                   "from")
    differences = sorted(f"{grantee} {privilege} on new {objects}"
                         + (" only on staging" if (objects, grantee, privilege) in wanted
                            else f" only on {environment}")
                         for objects, grantee, privilege in wanted ^ found)
    return [Finding(
        check=NAME, severity=Severity.ERROR if pending else Severity.WARNING,
        exit_code=EXIT_CODE,
        message=f"staging and {environment} give new objects different grants (the default "
        f"privileges of the migration role in public): {'; '.join(differences[:6])}"
        + (f"; and {len(differences) - 6} more" if len(differences) > 6 else ""),
        location=Location(object="default privileges"),
        help=f"run on {environment} as the migration role: {' '.join(fix)}",
        environment=environment)]


def _defaults(conn: psycopg.Connection, platform) -> set[tuple[str, str, str]]:
    from nivomigrate import catalog

    return {tuple(row) for row in conn.execute(catalog.query(_DEFAULTS_SQL),
                                               catalog.parameters(platform)).fetchall()}


def _statements(entries: set[tuple[str, str, str]], verb: str, preposition: str) -> list[str]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for objects, grantee, privilege in sorted(entries):
        grouped.setdefault((objects, grantee), []).append(privilege)
    return [f"alter default privileges in schema public {verb} {', '.join(privileges)} on "
            f"{objects} {preposition} {grantee};"
            for (objects, grantee), privileges in grouped.items()]
