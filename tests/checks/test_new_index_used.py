"""new-index-used: a new index judged by each database's planner with its own statistics."""

import psycopg
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.db import Target
from nivomigrate.steps.lint import lint_findings

# level: 1000 distinct values on staging, 2 on prod: an index on it serves staging, not prod.
SCHEMA = """
create extension if not exists hypopg;
create table "Log" (id int primary key, "projectId" int not null, level text not null);
insert into "Log" select g, g % 2000, (g % {levels})::text from generate_series(1, 20000) g;
analyze "Log";
"""
LEVELS = {"staging": 1000, "prod": 2}
HOT_QUERIES = """\
version: 1
queries:
- name: logs_by_level
  service: ingest
  table: Log
  equality: [level, projectId]
  sql: SELECT "id" FROM "public"."Log" WHERE "level" = $1 AND "projectId" = $2 LIMIT $3
"""
BY_LEVEL = 'op.execute(\'CREATE INDEX CONCURRENTLY "Log_level_idx" ON "Log" (level)\')'
BY_PROJECT_LEVEL = ('op.execute(\'CREATE INDEX CONCURRENTLY "Log_projectId_level_idx" '
                    'ON "Log" ("projectId", level)\')')
ON_NEW_COLUMN = ('op.add_column("Log", sa.Column("traceId", sa.Text())); '
                 'op.execute(\'CREATE INDEX CONCURRENTLY "Log_traceId_idx" ON "Log" ("traceId")\')')
TRACE_QUERY = """\
- name: logs_by_trace
  service: ingest
  table: Log
  equality: [traceId]
  sql: SELECT "id" FROM "public"."Log" WHERE "traceId" = $1 LIMIT $2
"""


def _findings(tmp_path, make_database, body, hot_queries=HOT_QUERIES):
    urls = {}
    for env, levels in LEVELS.items():
        urls[env] = make_database(f"nivo_{env}")
        with psycopg.connect(urls[env], autocommit=True) as conn:
            conn.execute(SCHEMA.format(levels=levels))
    settings = make_project(tmp_path, [body], promotion='squawk_default: "off"\n')
    (tmp_path / "policies" / "hot_queries.yaml").write_text(hot_queries)
    targets = {env: Target(env, url) for env, url in urls.items()}
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir), targets)
    return [f for f in findings if f.check == "new-index-used"], urls


def test_an_index_prods_planner_would_not_use_blocks_on_prod_only(tmp_path, make_database):
    found, urls = _findings(tmp_path, make_database, BY_LEVEL)
    assert [(f.environment, f.is_blocking) for f in found] == [("prod", True)], found
    assert "Log_level_idx" in found[0].message and "logs_by_level" in found[0].message
    assert "Seq Scan" in dict(found[0].evidence)["plan of logs_by_level"]
    with psycopg.connect(urls["prod"]) as conn:
        assert conn.execute("select count(*) from pg_indexes where indexname = 'Log_level_idx'"
                            ).fetchone()[0] == 0
        assert conn.execute("select count(*) from hypopg_list_indexes").fetchone()[0] == 0


def test_an_index_led_by_the_selective_column_passes_everywhere(tmp_path, make_database):
    found, _ = _findings(tmp_path, make_database, BY_PROJECT_LEVEL)
    assert found == []


def test_an_index_on_a_column_the_revision_adds_is_unproven_not_passed(tmp_path, make_database):
    found, _ = _findings(tmp_path, make_database, ON_NEW_COLUMN, HOT_QUERIES + TRACE_QUERY)
    assert {(f.environment, f.is_blocking) for f in found} == {("staging", False),
                                                              ("prod", False)}
    assert all(f.message.startswith("unproven on ") for f in found)


# Facts before judgement: one project on staging (20,000 logs of it), many on prod.
ONE_PROJECT_SCHEMA = """
create extension if not exists hypopg;
create table "Log" (id int primary key, "projectId" int not null, level text not null);
insert into "Log" select g, g % {projects}, (g % 7)::text from generate_series(1, 20000) g;
analyze "Log";
"""
PROJECT_QUERY = """\
version: 1
queries:
- name: logs_of_project
  service: ingest
  table: Log
  equality: [projectId]
  sql: SELECT "id" FROM "public"."Log" WHERE "projectId" = $1 LIMIT $2
"""
BY_PROJECT = 'op.execute(\'CREATE INDEX CONCURRENTLY "Log_projectId_idx" ON "Log" ("projectId")\')'


def _project_findings(tmp_path, make_database, projects: dict[str, int]):
    urls = {}
    for env, count in projects.items():
        urls[env] = make_database(f"nivo_{env}")
        with psycopg.connect(urls[env], autocommit=True) as conn:
            conn.execute(ONE_PROJECT_SCHEMA.format(projects=count))
    settings = make_project(tmp_path, [BY_PROJECT], promotion='squawk_default: "off"\n')
    (tmp_path / "policies" / "hot_queries.yaml").write_text(PROJECT_QUERY)
    targets = {env: Target(env, url) for env, url in urls.items()}
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir), targets)
    return [f for f in findings if f.check == "new-index-used"]


def test_one_distinct_value_on_staging_many_on_prod_is_unproven_not_blocked(tmp_path,
                                                                            make_database):
    found = _project_findings(tmp_path, make_database, {"staging": 1, "prod": 2000})

    assert [(f.environment, f.severity.value) for f in found] == [("staging", "warning")], found
    assert found[0].message.startswith("unproven on staging")
    assert "one distinct value on staging" in found[0].message and "on prod" in found[0].message


def test_one_distinct_value_everywhere_still_blocks(tmp_path, make_database):
    found = _project_findings(tmp_path, make_database, {"staging": 1, "prod": 1})

    assert {(f.environment, f.is_blocking) for f in found} == {("staging", True),
                                                              ("prod", True)}, found
