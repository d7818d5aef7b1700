"""precondition: seeded real databases, one case per kind of statement that fails on data."""

import psycopg
import pytest
from safety_helpers import make_project

from nivomigrate import migrations
from nivomigrate.db import Target
from nivomigrate.steps.lint import lint_findings

SCHEMA = """
create table "Project" (id int primary key);
create table "User" (id int primary key, email text, "deletedAt" timestamptz,
                     "projectId" int, age text, team int, role text);
insert into "Project" values (1);
"""
GOOD = """insert into "User" values (1, 'a@x', null, 1, '30', 1, 'r'), (2, 'b@x', null, 1, '40', 1, 's'),
          (3, 'c@x', null, null, null, null, null)"""
CASES = {
    "unique expression index, partial": (
        'op.execute(\'CREATE UNIQUE INDEX "User_email" ON "User" (lower(email)) '
        'WHERE "deletedAt" IS NULL\')',
        "insert into \"User\" (id, email) values (10, 'A@x'), (11, 'a@X')"),
    "unique multi-column, nulls not distinct": (
        'op.execute(\'CREATE UNIQUE INDEX "User_team_role" ON "User" (team, role) '
        "NULLS NOT DISTINCT')",
        'insert into "User" (id) values (10)'),
    "unique constraint": (
        'op.execute(\'ALTER TABLE "User" ADD CONSTRAINT "User_email_key" UNIQUE (email)\')',
        "insert into \"User\" (id, email) values (10, 'a@x')"),
    "set not null": (
        'op.alter_column("User", "email", nullable=False)',
        'insert into "User" (id) values (10)'),
    "foreign key": (
        'op.create_foreign_key("User_projectId_fkey", "User", "Project", ["projectId"], ["id"])',
        'insert into "User" (id, "projectId") values (10, 99)'),
    "check": (
        'op.create_check_constraint("User_age_check", "User", "age <> \'\'")',
        "insert into \"User\" (id, age) values (10, '')"),
    "type change": (
        'op.alter_column("User", "age", type_=sa.Integer, postgresql_using="age::integer")',
        "insert into \"User\" (id, age) values (10, 'old'), (11, 'n/a')"),
    "validate a constraint added not valid": (
        'op.execute(\'ALTER TABLE "User" ADD CONSTRAINT "User_role_check" CHECK (role <> \\\'x\\\') '
        "NOT VALID'); op.execute('ALTER TABLE \"User\" VALIDATE CONSTRAINT \"User_role_check\"')",
        "insert into \"User\" (id, role) values (10, 'x')"),
}


def _findings(tmp_path, make_database, body, bad_rows):
    urls = {}
    for env in ("staging", "prod"):
        urls[env] = make_database(f"nivo_{env}")
        with psycopg.connect(urls[env], autocommit=True) as conn:
            conn.execute(SCHEMA)
            conn.execute(GOOD)
            if env == "prod" and bad_rows:
                conn.execute(bad_rows)
    settings = make_project(tmp_path, [body], promotion='squawk_default: "off"\n')
    targets = {env: Target(env, url) for env, url in urls.items()}
    findings = lint_findings(settings, migrations.revisions(settings.versions_dir), targets)
    return [f for f in findings if f.check == "precondition"], urls


@pytest.mark.parametrize("case", sorted(CASES))
def test_violation_on_prod_blocks_with_primary_keys_and_changes_nothing(
        case, tmp_path, make_database):
    body, bad_rows = CASES[case]
    found, urls = _findings(tmp_path, make_database, body, bad_rows)
    assert [(f.environment, f.is_blocking) for f in found] == [("prod", True)], found
    evidence = dict(found[0].evidence)
    assert int(evidence["rows"]) >= 1 and "10" in evidence["primary keys"]
    with psycopg.connect(urls["prod"]) as conn:
        assert migrations.current_revision(conn) is None
        assert conn.execute('select count(*) from "User"').fetchone()[0] >= 4


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_statement_passes_on_clean_data(case, tmp_path, make_database):
    body, _ = CASES[case]
    found, _ = _findings(tmp_path, make_database, body, None)
    assert found == []


def test_an_acknowledged_violation_does_not_block(tmp_path, make_database):
    body, bad_rows = CASES["set not null"]
    ack = '# nivomigrate: ack precondition "User.email" -- backfilled by the app first\n'
    found, _ = _findings(tmp_path, make_database, ack + body, bad_rows)
    assert [f.is_blocking for f in found] == [False]
