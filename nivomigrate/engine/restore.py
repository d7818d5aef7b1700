"""The restore point a lossy or one-way promotion needs, and the recovery steps that use it
(docs/rollback.md): a pg_dump of the touched tables when they are small, else on Supabase a
restore point made through the Management API (when a token is configured) within the PITR
window; before a promotion, the pending revisions' certificates read from staging's ledger
with the restore they need. Returns data and never prints."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nivomigrate.engine.way_back import LOSSY, ONE_WAY, Certificate

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.db import Target

TOKEN_VARIABLE = "SUPABASE_ACCESS_TOKEN"
API = "https://api.supabase.com/v1/projects/{ref}/database/backups/restore-point"


@dataclass(frozen=True)
class RestorePlan:
    """How the data a promotion may lose can be brought back: `kind` is `pg_dump`,
    `supabase-restore-point`, `not needed` or `none` (unusable), with what it needs."""

    kind: str
    tables: tuple[str, ...] = ()
    bytes: int = 0
    detail: str = ""
    path: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def is_usable(self) -> bool:
        return self.kind != "none"

    def to_json(self) -> dict:
        return {"kind": self.kind, "tables": list(self.tables), "bytes": self.bytes,
                "detail": self.detail, "path": self.path, **self.extra}


def plan_restore(settings: Settings, conn: psycopg.Connection, tables: list[str],
                 needed: bool) -> RestorePlan:
    """Decide how prod's `tables` (`schema.table`) would be restored: pg_dump when they total
    at most the policy's `way_back.max_dump_bytes` and pg_dump is found, else a Supabase
    restore point when a token and project are known, else `none`."""
    from nivomigrate.policies.promotion import load_promotion_policy

    if not needed:
        return RestorePlan("not needed", detail="every pending revision's way back is proven")
    limit = load_promotion_policy(settings.policies_dir).max_dump_bytes
    size = _total_bytes(conn, tables)
    if size <= limit and pg_dump_binary() is not None:
        return RestorePlan("pg_dump", tuple(sorted(tables)), size,
                           f"pg_dump of {len(tables)} table(s), {size} bytes, before the run")
    ref = supabase_project_ref(conn.info.host, conn.info.user)
    if ref and settings.command_environ.get(TOKEN_VARIABLE):
        return RestorePlan("supabase-restore-point", tuple(sorted(tables)), size,
                           f"a restore point of Supabase project {ref} (Management API)",
                           extra={"project_ref": ref})
    why = (f"the touched tables hold {size} bytes, over way_back.max_dump_bytes ({limit})"
           if size > limit else "pg_dump was not found")
    return RestorePlan("none", tuple(sorted(tables)), size, why)


def _total_bytes(conn: psycopg.Connection, tables: list[str]) -> int:
    if not tables:
        return 0
    row = conn.execute("select coalesce(sum(pg_total_relation_size(to_regclass(t))), 0)::bigint"
                       " from unnest(%s::text[]) t", ([_regclass_text(t) for t in tables],)
                       ).fetchone()
    return int(row[0])


def _regclass_text(table: str) -> str:
    schema, _, name = table.partition(".")
    return f'"{schema}"."{name}"'.replace('""', '"') if name else f'"{schema}"'


def pg_dump_binary():
    """Return the pg_dump to use (PATH, else the server binaries'), None when none is."""
    import shutil
    from pathlib import Path

    from nivomigrate.shadow import server_binaries

    found = shutil.which("pg_dump")
    if found:
        return Path(found)
    binaries = server_binaries()
    return binaries / "pg_dump" if binaries and (binaries / "pg_dump").is_file() else None


def supabase_project_ref(host: str | None, user: str | None) -> str | None:
    """Return the Supabase project ref of a direct (`db.<ref>.supabase.co`) or session-pooler
    (`postgres.<ref>` user) connection; None elsewhere."""
    host = host or ""
    if host.startswith("db.") and host.endswith(".supabase.co"):
        return host[3:-len(".supabase.co")]
    if (user or "").startswith("postgres.") and host.endswith(".pooler.supabase.com"):
        return (user or "").split(".", 1)[1]
    return None


def make_restore(settings: Settings, target: Target, plan: RestorePlan, folder) -> RestorePlan:
    """Carry out `plan` before the run: write the pg_dump file into `folder`, or ask the
    Management API for a restore point. Returns the plan with where it went.

    Raises:
        MigrationError: pg_dump or the API failed (the promotion does not start).
    """
    if plan.kind == "pg_dump":
        return _dump(target, plan, folder)
    if plan.kind == "supabase-restore-point":
        return _supabase_restore_point(settings, plan)
    return plan


def _dump(target: Target, plan: RestorePlan, folder) -> RestorePlan:
    import subprocess
    import time
    from dataclasses import replace
    from pathlib import Path

    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from nivomigrate.db import libpq_url
    from nivomigrate.errors import MigrationError
    from nivomigrate.redaction import redact

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{target.name}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.dump"
    params = conninfo_to_dict(libpq_url(target))
    password = params.pop("password", None)
    command = [str(pg_dump_binary()), "--format=custom", f"--file={path}",
               *(f"--table={_regclass_text(t)}" for t in plan.tables),
               f"--dbname={make_conninfo(**params)}"]
    environ = {"PGPASSWORD": password} if password else {}
    import os

    result = subprocess.run(command, capture_output=True, text=True,
                            env={**os.environ, **environ}, timeout=3600)
    if result.returncode != 0:
        raise MigrationError(f"pg_dump of the touched tables failed: "
                             f"{redact(result.stderr.strip()[:300])}",
                             hint="fix the error, or make a restore point by hand "
                             "(docs/rollback.md)")
    return replace(plan, path=str(path))


def _supabase_restore_point(settings: Settings, plan: RestorePlan) -> RestorePlan:
    """POST the Management API's restore point (docs/rollback.md); never called in tests."""
    import time
    import urllib.request
    from dataclasses import replace

    from nivomigrate.errors import MigrationError

    name = f"nivomigrate-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"
    request = urllib.request.Request(
        API.format(ref=plan.extra["project_ref"]), method="POST",
        data=json.dumps({"name": name}).encode(),
        headers={"Authorization": f"Bearer {settings.command_environ[TOKEN_VARIABLE]}",
                 "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
    except OSError as exc:
        raise MigrationError(f"Supabase did not make a restore point: {exc}",
                             hint="check the token's access to the project, or make a backup "
                             "by hand (docs/rollback.md)") from None
    return replace(plan, extra={**plan.extra, "name": name})


def recovery_steps(environment: str, revision: str, previous: str | None,
                   point: dict | None) -> str:
    """The exact steps that bring `environment` back from a one-way `revision`, with the
    restore point its promotion recorded (None: there is none)."""
    previous = previous or "base"
    if not point:
        return (f"No restore point is recorded for revision {revision} on {environment}.\n"
                f"1. Restore {environment} from your latest backup taken before {revision}.\n"
                f"2. Run `nivomigrate status {environment}`: it must show revision {previous}.")
    way = point.get("way_back") or {}
    lines = [f"Revision {revision} is one-way. {environment}'s restore point, recorded before "
             f"its promotion: server time {point.get('server_time')}, WAL LSN "
             f"{point.get('wal_lsn')}."]
    if way.get("kind") == "pg_dump" and way.get("path"):
        tables = " ".join(f"--table='{t}'" for t in way.get("tables", []))
        lines += [f"1. Restore the touched tables from the dump taken just before: "
                  f"pg_restore --clean --if-exists --single-transaction {tables} "
                  f"--dbname=\"$URL_OF_{environment.upper()}\" {way['path']}",
                  f"2. Undo the schema change: in psql, run the previous revision's schema "
                  f"(`nivomigrate diff {environment} <a database at {previous}>` prints it).",
                  f"3. Record the revision: update alembic_version set version_num = "
                  f"'{previous}'; then `nivomigrate plan` shows no drift."]
    elif way.get("kind") == "supabase-restore-point":
        lines += [f"1. Supabase dashboard → Database → Backups → restore the restore point "
                  f"{way.get('name')} (or PITR to {point.get('server_time')}).",
                  f"2. `nivomigrate status {environment}` must show revision {previous}."]
    else:
        lines += [f"1. Point-in-time recovery to just before {point.get('server_time')}: "
                  f"on Supabase, Database → Backups → Point in time; self-hosted, "
                  f"recovery_target_lsn = '{point.get('wal_lsn')}' with "
                  "recovery_target_inclusive = off.",
                  f"2. `nivomigrate status {environment}` must show revision {previous}."]
    return "\n".join(lines)


# --- before a promotion -----------------------------------------------------------------------


@dataclass(frozen=True)
class BeforePromotion:
    """The pending revisions' certificates from staging's run, how their data would come
    back (`restore`), and the findings: a lossy or one-way revision without a usable
    restore is an ERROR."""

    items: list
    restore: object
    findings: tuple = ()


def before_promotion(ctx, conn, staging_conn, staging_run) -> BeforePromotion:
    """Read the pending revisions' newest certificates in staging's ledger and plan the
    restore point."""
    from nivomigrate import certificates
    from nivomigrate.checks import one_way
    from nivomigrate.findings import Finding, Location, Severity

    ids = [r.id for r in ctx.pending]
    made = certificates.newest(staging_conn, ids) if staging_run else {}
    found = [Certificate.from_json(made[i]) for i in ids if i in made]
    risky = [c for c in found if c.verdict in (LOSSY, ONE_WAY)]
    tables = sorted({t for c in risky for t in c.lossy_tables} | _touched(ctx, risky))
    restore = plan_restore(ctx.settings, conn, tables, needed=bool(risky))
    findings = [Finding(
        one_way.NAME, Severity.WARNING,
        f"revision {revision_id} has no way-back certificate in staging's ledger: its "
        "downgrade is unproven on staging's data", Location(object=revision_id),
        environment=ctx.environment, help="re-run `nivomigrate apply staging`: a run whose "
        "certificate was interrupted makes it again only with a new revision; "
        "`nivomigrate plan all --gate merge` proves the downgrade in the shadow server")
        for revision_id in ids if staging_run is not None and revision_id not in made]
    if risky and not restore.is_usable:
        findings.append(Finding(
            one_way.NAME, Severity.ERROR,
            f"{', '.join(c.revision for c in risky)} cannot be undone without data loss and "
            f"{ctx.environment} has no usable restore point: {restore.detail}",
            Location(object=ctx.environment), environment=ctx.environment,
            help="raise way_back.max_dump_bytes in policies/promotion.yaml, set "
            "SUPABASE_ACCESS_TOKEN for a Supabase restore point, or make a backup and check "
            "the PITR window (docs/rollback.md)"))
    return BeforePromotion([c.to_json() for c in found], restore, tuple(findings))


def _touched(ctx, risky: list[Certificate]) -> set[str]:
    """The existing tables a one-way revision's upgrade changes (`public.` when unqualified)."""
    from nivomigrate.checks.revision_sql import render_revision

    touched = set()
    for revision in (r for r in ctx.pending if r.id in {c.revision for c in risky
                                                         if c.verdict == ONE_WAY}):
        parsed = render_revision(ctx.settings.versions_dir, revision)
        for statement in parsed.statements:
            for change in statement.changes:
                if change.kind not in ("create_table", "create_index"):
                    touched.add(change.table if "." in change.table else f"public.{change.table}")
        touched -= {f"public.{t}" for t in parsed.created_tables()}
    return touched


def restore_point(ctx, conn, back: BeforePromotion | None) -> dict:
    """Prod's restore point (server time, WAL LSN), with the pg_dump or Supabase restore
    point made just before when a pending revision is lossy or one-way (`way_back`)."""
    from nivomigrate import ledger

    point = ledger.restore_point(conn)
    if back is None:
        return point
    made = make_restore(ctx.settings, ctx.target, back.restore,
                        ctx.settings.root / ".nivomigrate" / "restore")
    return {**point, "way_back": made.to_json()}
