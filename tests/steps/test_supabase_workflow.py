"""The whole workflow on Supabase-shaped databases, as the non-superuser `postgres`.

Staging and prod are made from Supabase's own init scripts with NivoStack's Prisma tables and
hand-made extras (RLS, a policy using auth.uid(), a function, a trigger on auth.users); the
shadow server is a plain PostgreSQL, which gets the platform's part copied from them. Every
command runs through the CLI on a project copy; every output and every written revision is
scanned for the platform's objects, and the platform's part of both databases must be
byte-identical before and after.
"""

from __future__ import annotations

import os
import re

import psycopg
import pytest

from nivomigrate import migrations
from tests import forked_cli
from tests.steps.conftest import COPIED_MODELS, Project, copy_project
from tests.supabase_server import ADMIN, PLATFORM_SCHEMAS

PAGES_SQL = """create table public."ProjectPage" (
    id text primary key,
    "projectId" text not null references public."Project" (id) on delete cascade,
    owner uuid not null default auth.uid(),
    body text not null
);
alter table public."ProjectPage" enable row level security;
create policy "Owners edit their pages" on public."ProjectPage" for all to authenticated
    using (owner = (select auth.uid())) with check (owner = (select auth.uid()));
create view public."PublicProjectPage" as select id, "projectId", body from public."ProjectPage";
grant select on public."PublicProjectPage" to anon"""
NEW_REVISION = '''"""Public project pages: a table with RLS, a policy, a grant to anon, a view."""
from alembic import op

# nivomigrate: waive anon-opened "PublicProjectPage" -- the published pages are public

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None
PAGES_SQL = {pages_sql!r}


def upgrade() -> None:
    for statement in PAGES_SQL.split(";\\n"):
        op.execute(statement)


def downgrade() -> None:
    op.execute('drop view public."PublicProjectPage"')
    op.execute('drop table public."ProjectPage"')
'''
# Supabase's default privileges open every Prisma table to anon (anon-access blocks that): the
# revision that closes them before the first apply, and the same statement in the models.
CLOSE_ANON_SQL = "revoke all on all tables in schema public from anon, authenticated"
CLOSE_ANON_REVISION = '''"""Close the app's tables to the Data API roles (docs/roles.md)."""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None
# The merge gate's one-way check (docs/rollback.md): re-opening the tables is no way back.
one_way = "the tables stay closed to anon; re-open one with a GRANT in a new revision"


def upgrade() -> None:
    op.execute({sql!r})


def downgrade() -> None:
    pass
'''
# What the team adds to its models for the same objects (the copy's `models` module): DDL
# run after create_all, as SQLAlchemy models say what they cannot declare.
MODELS_DDL = """
from sqlalchemy import DDL, event

for _sql in {statements!r}:
    event.listen(metadata, "after_create", DDL(_sql))
"""
# The platform's objects the app's own objects name: not a finding when they appear.
REFERENCED = {"auth.users", "auth.uid"}


def _platform_names(url: str) -> set[str]:
    """Return the names (qualified and bare) of every platform object in the database."""
    with psycopg.connect(url) as conn:
        relations = conn.execute(
            "select n.nspname, c.relname from pg_class c join pg_namespace n "
            "on n.oid = c.relnamespace where n.nspname = any(%s)",
            (list(PLATFORM_SCHEMAS),)).fetchall()
        routines = conn.execute(
            "select n.nspname, p.proname from pg_proc p join pg_namespace n "
            "on n.oid = p.pronamespace where n.nspname = any(%s) or exists ("
            "select 1 from pg_depend d where d.classid = 'pg_proc'::regclass "
            "and d.objid = p.oid and d.deptype = 'e')", (list(PLATFORM_SCHEMAS),)).fetchall()
        extensions = conn.execute("select extname from pg_extension "
                                  "where extname <> 'plpgsql'").fetchall()
    names = {f"{schema}.{name}" for schema, name in relations + routines} - REFERENCED
    names |= {name for _, name in relations if "_" in name and len(name) > 8}
    names |= {name for (name,) in extensions} | {"supabase_admin", "supabase_auth_admin",
                                                  "supabase_storage_admin", "dashboard_user"}
    return names


def _found(names: set[str], text: str) -> set[str]:
    plain = text.replace('"', "")
    return {name for name in names
            if re.search(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])", plain)}


def _dump(server, url: str, *schemas: str) -> str:
    text = server.dump_schema(url.rsplit("/", 1)[1], *schemas, user=ADMIN)
    return "\n".join(line for line in text.splitlines()
                     if not line.startswith(("\\restrict", "\\unrestrict")))


def _add_to_models(project: Project, sql: str) -> None:
    parts = re.split(r";\n(?=(?:alter|create|grant) )", sql)
    statements = [part.strip() for part in parts if part.strip()]
    with (project.root / COPIED_MODELS / "__init__.py").open("a") as models:
        models.write(MODELS_DDL.format(statements=statements))


@pytest.fixture
def supabase_project(tmp_path, make_supabase_database, canary_admin_url) -> Project:
    urls = {env: make_supabase_database(f"nivo_sb_{env}") for env in ("staging", "prod")}
    return Project(copy_project(tmp_path), urls, canary_admin_url)


def test_supabase_adoption_and_promotion_leave_the_platform_alone(supabase_project,
                                                                  supabase_server):
    project = supabase_project
    environ = {**os.environ, **project.environ}
    environ.pop("NIVOMIGRATE_TEST_DATABASE_URL", None)
    outputs: list[str] = []

    def run(*args: str, expect: int = 0) -> str:
        result = forked_cli.run(*args, cwd=project.root, env=environ, timeout=300)
        output = result.stdout + result.stderr
        assert result.returncode == expect, (args, output)
        outputs.append(output)
        return output

    platform_before = {env: _dump(supabase_server, url, *PLATFORM_SCHEMAS)
                       for env, url in project.urls.items()}

    written = run("baseline", "prod", "--write-revision")
    adoption = migrations.head(project.root / "versions")
    assert f"wrote adoption revision {adoption}" in written
    # Beside it, the declarations of what it adopts (the app's extras, nothing of the
    # platform's, no grant that Supabase's default privileges give anyway): check agrees.
    [declared] = (project.root / COPIED_MODELS).glob("adopted_prod_*.py")
    assert "public_handle_new_user = PGFunction(" in declared.read_text()
    assert "TableGrant(" not in declared.read_text()
    run("check")
    run("baseline", "prod")
    run("baseline", "staging")
    close_id = f"{int(adoption) + 1:04d}"
    (project.root / "versions" / f"{close_id}_close_anon.py").write_text(
        CLOSE_ANON_REVISION.format(id=close_id, down=adoption, sql=CLOSE_ANON_SQL))
    _add_to_models(project, CLOSE_ANON_SQL)
    run("plan", "all", "--gate", "merge")
    run("apply", "staging")
    run("plan")
    run("promote", "prod")

    head = migrations.head(project.root / "versions")
    new_id = f"{int(head) + 1:04d}"
    (project.root / "versions" / f"{new_id}_project_pages.py").write_text(
        NEW_REVISION.format(id=new_id, down=head, pages_sql=PAGES_SQL))
    _add_to_models(project, PAGES_SQL)
    services = project.root / "policies" / "services.yaml"  # every table has an owner
    services.write_text(services.read_text().replace("owners:\n",
                                                     "owners:\n  ProjectPage: studio\n", 1))
    run("plan", "all", "--gate", "merge")
    run("apply", "staging")
    run("plan", "--format", "json")
    run("promote", "prod")
    run("diff", "staging", "prod")
    run("check")
    run("coverage", "staging")

    staging_dump, prod_dump = (_dump(supabase_server, project.urls[env])
                               for env in ("staging", "prod"))
    assert staging_dump == prod_dump
    assert 'CREATE POLICY "Owners edit their pages"' in prod_dump
    # Supabase's default privileges already give anon ALL on new tables of public.
    assert re.search(r'GRANT (ALL|SELECT) ON TABLE public."PublicProjectPage" TO anon;',
                     prod_dump)
    for env, url in project.urls.items():
        assert _dump(supabase_server, url, *PLATFORM_SCHEMAS) == platform_before[env], env

    names = _platform_names(project.urls["prod"])
    assert {"auth.refresh_tokens", "refresh_tokens_instance_id_idx", "storage.search",
            "extensions.hypopg", "supabase_admin"} <= names  # the scan looks for something
    revisions = [path.read_text() for path in (project.root / "versions").glob("*.py")]
    assert not _found(names, "\n".join(outputs + revisions))
