"""hot-query-plan-change: a dropped index that a hot query's plan uses, on seeded databases."""

import psycopg
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.db import Target
from nivomigrate.steps.lint import lint_findings

SCHEMA = """
create extension if not exists hypopg;
create table "Log" (id int primary key, "projectId" int not null, level text not null,
                    "createdAt" int not null);
insert into "Log" select g, g % 2000, case when g % 2 = 0 then 'info' else 'warn' end, g
from generate_series(1, 20000) g;
create index "Log_projectId_idx" on "Log" ("projectId");
create index "Log_level_idx" on "Log" (level);
analyze "Log";
"""
HOT_QUERIES = """\
version: 1
queries:
- name: logs_of_project
  service: ingest
  table: Log
  equality: [projectId]
  sql: SELECT "id" FROM "public"."Log" WHERE "projectId" = $1 LIMIT $2
"""
PROMOTION = 'squawk_default: "off"\nlarge_table: {rows: 1000}\n'
DROP_USED = 'op.execute(\'DROP INDEX "Log_projectId_idx"\')'
DROP_UNUSED = 'op.execute(\'DROP INDEX "Log_level_idx"\')'
REPLACED = ('op.execute(\'CREATE INDEX CONCURRENTLY "Log_projectId_createdAt_idx" ON "Log" '
            '("projectId", "createdAt")\'); ' + DROP_USED)


def _findings(tmp_path, make_database, body, *, environments=("staging", "prod")):
    urls = {}
    for env in environments:
        urls[env] = make_database(f"nivo_{env}")
        with psycopg.connect(urls[env], autocommit=True) as conn:
            conn.execute(SCHEMA)
    settings = make_project(tmp_path, [body], promotion=PROMOTION)
    (tmp_path / "policies" / "hot_queries.yaml").write_text(HOT_QUERIES)
    targets = {env: Target(env, url) for env, url in urls.items()}
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir), targets)
    return [f for f in findings if f.check == "hot-query-plan-change"], urls


def _indexes(url):
    with psycopg.connect(url) as conn:
        return {name for (name,) in conn.execute(
            "select indexname from pg_indexes where tablename = 'Log'")}


def test_dropping_the_index_a_hot_query_uses_blocks_on_staging_with_both_plans(
        tmp_path, make_database):
    found, urls = _findings(tmp_path, make_database, DROP_USED, environments=("staging",))
    assert [(f.environment, f.is_blocking) for f in found] == [("staging", True)], found
    assert "Log_projectId_idx" in found[0].message and "sequential scan" in found[0].message
    evidence = dict(found[0].evidence)
    assert "Log_projectId_idx" in evidence["plan before"]
    assert "Seq Scan" in evidence["plan after"]
    assert "Log_projectId_idx" in _indexes(urls["staging"])  # the rehearsal was rolled back


def test_on_prod_an_older_hypopg_leaves_the_drop_unproven_never_passed(tmp_path, make_database):
    found, urls = _findings(tmp_path, make_database, DROP_USED)
    prod = [f for f in found if f.environment == "prod"]
    assert [(f.severity.value, f.is_blocking) for f in prod] == [("warning", False)]
    assert prod[0].message.startswith("unproven on prod")
    assert "hypopg_hide_index" in dict(prod[0].evidence)["logs_of_project"] + prod[0].help
    assert [f.is_blocking for f in found if f.environment == "staging"] == [True]
    with psycopg.connect(urls["prod"]) as conn:
        assert conn.execute("select count(*) from hypopg_list_indexes").fetchone()[0] == 0
        assert migrations.current_revision(conn) is None


def test_dropping_an_index_no_hot_query_uses_passes(tmp_path, make_database):
    found, _ = _findings(tmp_path, make_database, DROP_UNUSED)
    assert found == []


def test_a_replacement_index_created_first_passes_on_staging(tmp_path, make_database):
    found, _ = _findings(tmp_path, make_database, REPLACED, environments=("staging",))
    assert found == []


def test_without_hypopg_staging_rehearses_the_replacement_too(tmp_path, make_database):
    schema = SCHEMA.replace("create extension if not exists hypopg;", "")
    url = make_database("nivo_staging")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(schema)
    settings = make_project(tmp_path, [REPLACED], promotion=PROMOTION)
    (tmp_path / "policies" / "hot_queries.yaml").write_text(HOT_QUERIES)
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir),
                             {"staging": Target("staging", url)})
    assert [f for f in findings if f.check == "hot-query-plan-change"] == []
    assert "Log_projectId_createdAt_idx" not in _indexes(url)
