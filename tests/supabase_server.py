"""A Supabase-shaped PostgreSQL for tests, built from Supabase's own init scripts.

`start_supabase_server()` runs a private cluster from the installed server binaries, made the
way supabase/postgres's Docker image makes one: `initdb -U supabase_admin` (the bootstrap
superuser), then `migrations/db/migrate.sh`'s order: create `postgres` as a superuser, run
`init-scripts/*.sql` as `postgres` and `migrations/*.sql` as `supabase_admin`, which demote
`postgres` to a non-superuser. The scripts are a pinned copy in `tests/fixtures/supabase/`
(source commit, licence and every statement left out: its README). Every statement left out is
listed in `SKIPPED` below and must be found in its script, so a newer copy cannot drift silently.

The platform is built once in the cluster's `postgres` database (as Supabase does); databases
made from it (`create_platform_database`) get the same per-database objects, and `postgres`
owns them as it owns `postgres` on Supabase. `APP_EXTRAS_SQL` is what NivoStack adds on top of
Prisma's tables there: RLS on "Project", a policy for `authenticated` using `auth.uid()`, a
function, and a trigger on `auth.users` (an app object in a platform schema).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import servers

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "supabase"
PRISMA_DDL = Path(__file__).resolve().parent / "fixtures" / "prisma" / "nivostack_prisma.sql"
ADMIN = "supabase_admin"
APP_ROLE = "postgres"
# Statements of the pinned scripts not run here, by script: what Debian's PostgreSQL lacks.
# (Extensions the scripts enable only when available - pg_graphql, pgsodium, supabase_vault,
# pg_cron, pg_net, supautils - skip themselves.)
SKIPPED: dict[str, tuple[str, ...]] = {
    "00000000000000-initial-schema.sql": (
        # pgjwt: not packaged by Debian.
        "create extension if not exists pgjwt            with schema extensions;",
    ),
    "20230529180330_alter_api_roles_for_inherit.sql": (
        # The role comes with pgsodium, not packaged by Debian.
        "GRANT pgsodium_keyholder to service_role;",
    ),
}
# What a project enables from the dashboard (through supautils, as supabase_admin) and the
# scripts do not: an extension whose objects nivomigrate must leave alone.
DASHBOARD_SQL = "create extension if not exists hypopg with schema extensions;\n"
# NivoStack's own objects beyond Prisma's tables, made as `postgres` like everything of the app.
APP_EXTRAS_SQL = """
alter table public."Project" enable row level security;
create policy "Project owners read their projects" on public."Project"
    for select to authenticated using ("userId" = (select auth.uid())::text);
create function public.handle_new_user() returns trigger
    language plpgsql security definer set search_path = ''
as $$
begin
    insert into public."User" (id, email, password, "updatedAt")
    values (new.id::text, coalesce(new.email, ''), '', now());
    return new;
end;
$$;
create trigger on_auth_user_created after insert on auth.users
    for each row execute function public.handle_new_user();
"""
# Schemas the platform makes (pg_dump of these is "Supabase's part" of a database).
PLATFORM_SCHEMAS = ("auth", "storage", "realtime", "extensions", "graphql_public", "pgbouncer")


@dataclass(frozen=True)
class SupabaseServer:
    """A running Supabase-shaped cluster: trust auth on 127.0.0.1, its binaries."""

    port: int
    binaries: Path
    data_dir: Path

    def url(self, database: str = "postgres", user: str = APP_ROLE) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        return self.url("postgres", ADMIN)

    def psql(self, database: str, user: str, sql: str, *, what: str = "psql") -> str:
        """Run `sql` through psql (ON_ERROR_STOP) and return its output."""
        result = subprocess.run(
            [str(self.binaries / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At",
             "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", database, "-f", "-"],
            input=sql, capture_output=True, text=True, env=_client_environ())
        if result.returncode != 0:
            raise RuntimeError(f"{what} failed: {result.stderr.strip()}")
        return result.stdout

    def dump_schema(self, database: str, *schemas: str, user: str = ADMIN) -> str:
        """Return `pg_dump --schema-only` of `schemas` (every schema when none), grants kept."""
        command = [str(self.binaries / "pg_dump"), "--schema-only", "-h", "127.0.0.1",
                   "-p", str(self.port), "-U", user, "-d", database]
        command += [f"--schema={schema}" for schema in schemas]
        result = subprocess.run(command, capture_output=True, text=True, env=_client_environ())
        if result.returncode != 0:
            raise RuntimeError(f"pg_dump failed: {result.stderr.strip()}")
        return result.stdout


def _client_environ() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def script_text(path: Path) -> str:
    """Return a pinned script's text less its `SKIPPED` statements (each must be there)."""
    text = path.read_text()
    for statement in SKIPPED.get(path.name, ()):
        if statement not in text:
            raise RuntimeError(f"{path.name} no longer holds the skipped {statement!r}")
        text = text.replace(statement, f"-- skipped by the tests: {statement}")
    return text


def _scripts(folder: str) -> list[Path]:
    # migrate.sh's `for sql in "$db"/<folder>/*.sql`, in the C locale's order.
    return sorted((FIXTURES / folder).glob("*.sql"), key=lambda p: p.name.encode())


def _run_migrate_sh(server: SupabaseServer) -> None:
    """Do what migrate.sh does (without dbmate, passwords or the statistics reset)."""
    server.psql("postgres", ADMIN, "create role postgres superuser login;\n"
                "alter database postgres owner to postgres;\n", what="create postgres")
    for path in _scripts("init-scripts"):
        server.psql("postgres", APP_ROLE, script_text(path), what=path.name)
    for path in _scripts("migrations"):
        server.psql("postgres", ADMIN, script_text(path), what=path.name)
    server.psql("postgres", ADMIN, DASHBOARD_SQL, what="dashboard extensions")


@contextmanager
def start_supabase_server(workdir: Path | None = None) -> Iterator[SupabaseServer]:
    """Run a Supabase-shaped cluster on a free loopback port; stop and remove it afterwards."""
    binaries = servers.postgres_binaries()
    if binaries is None:
        raise RuntimeError("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin)")
    folder = Path(workdir or tempfile.mkdtemp(prefix="nivo-supabase-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o711)
    data = folder / "data"
    if os.geteuid() == 0:  # initdb runs as the server's user, who must write here
        user = pwd.getpwnam(servers.SERVER_USER)
        os.chown(folder, user.pw_uid, user.pw_gid)
    servers.run_as_server_user([binaries / "initdb", "-D", data, "-U", ADMIN, "-E", "UTF8",
                                "--locale=C", "--no-sync", "-A", "trust"])
    server = SupabaseServer(servers.free_port(), binaries, data)
    servers.run_as_server_user([
        binaries / "pg_ctl", "-D", data, "-l", data / "server.log", "-w", "-t", "60", "-o",
        f"-p {server.port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100", "start"])
    try:
        _run_migrate_sh(server)
        yield server
    finally:
        try:
            servers.run_as_server_user([binaries / "pg_ctl", "-D", data, "-m", "immediate",
                                        "-w", "stop"])
        except RuntimeError:
            pass  # not running: nothing to stop
        shutil.rmtree(folder, ignore_errors=True)


def create_platform_database(server: SupabaseServer, name: str,
                             template: str = "postgres") -> str:
    """Create database `name` from `template`, owned by `postgres` as Supabase's is; its URL.

    The URL logs in as `postgres`, the non-superuser a Supabase project hands out.
    """
    server.psql("postgres", ADMIN, f'create database "{name}" template "{template}" '
                f'owner postgres;\ngrant all on database "{name}" to postgres, dashboard_user;\n',
                what=f"create database {name}")
    return server.url(name)


def drop_database(server: SupabaseServer, name: str) -> None:
    server.psql("postgres", ADMIN, f'drop database if exists "{name}" with (force);\n',
                what=f"drop database {name}")


def load_app(server: SupabaseServer, database: str) -> None:
    """Load NivoStack's Prisma DDL and its extras into `database`, as `postgres`."""
    server.psql(database, APP_ROLE, PRISMA_DDL.read_text(), what="the Prisma DDL")
    server.psql(database, APP_ROLE, APP_EXTRAS_SQL, what="the app's extras")
