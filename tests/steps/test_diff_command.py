"""`nivomigrate diff` as a user runs it: exit codes, no traceback, what it imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

from tests import forked_cli

REPO = Path(__file__).resolve().parents[2]
BASE = """
create table public.customer (id int primary key, name text);
create table public.purchase (id int primary key, customer_id int, amount numeric);
create view public.spend as
    select c.id, sum(p.amount) as total
    from public.customer c join public.purchase p on p.customer_id = c.id group by c.id;
create function public.answer() returns int language sql as 'select 42';
"""


def _database(make_database, script: str) -> str:
    url = make_database("nivo_diff")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)
    return url


def _diff(tmp_path: Path, source: str, target: str) -> subprocess.CompletedProcess:
    return forked_cli.run("diff", source, target, cwd=tmp_path)


def test_view_over_changed_and_unchanged_table_is_diffed_not_a_crash(make_database, tmp_path):
    production = _database(make_database, BASE)
    staging = _database(make_database, BASE + """
        alter table public.purchase add column discount numeric not null default 0;
        create or replace function public.answer() returns int language sql as 'select 43';""")

    result = _diff(tmp_path, production, staging)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert 'add column "discount"' in result.stdout and "select 43" in result.stdout


def test_force_row_level_security_alone_is_a_difference(make_database, tmp_path):
    production = _database(make_database, BASE + "alter table public.customer "
                           "enable row level security;")
    staging = _database(make_database, BASE + "alter table public.customer "
                        "enable row level security, force row level security;")

    result = _diff(tmp_path, production, staging)

    assert result.returncode == 1, result.stderr
    assert "force row level security" in result.stdout


def test_difference_no_statement_covers_is_named_and_exit_1(make_database, tmp_path):
    production = _database(make_database, "create domain public.code as text;")
    staging = _database(make_database, "create domain public.code as varchar(10);")

    result = _diff(tmp_path, production, staging)

    assert result.returncode == 1, result.stderr
    assert "-- not scripted: domain public.code" in result.stdout


def test_equal_schemas_exit_0_and_no_diff_imports_migra(make_database, tmp_path):
    production = _database(make_database, BASE)
    staging = _database(make_database, BASE)
    different = _database(make_database, BASE + "alter table public.customer add column n int;")
    code = ("import sys\n"
            "from nivomigrate.db import Target\n"
            "from nivomigrate.engine.diff import diff_sql\n"
            f"assert diff_sql(Target('a', {production!r}), Target('b', {staging!r})) == ''\n"
            f"assert diff_sql(Target('a', {production!r}), Target('b', {different!r}))\n"
            "print(sorted(m for m in ('migra', 'schemainspect', 'sqlbag', 'sqlalchemy')"
            " if m in sys.modules))\n")

    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              cwd=REPO)

    assert imported.stdout.strip() == "[]", imported.stderr
    assert _diff(tmp_path, production, staging).returncode == 0


def test_diff_works_without_pkg_resources(make_database, tmp_path):
    production = _database(make_database, BASE)
    staging = _database(make_database, BASE + "alter table public.customer add column note text;")
    code = ("import sys\n"
            "sys.modules['pkg_resources'] = None  # as with setuptools 81 or none at all\n"
            "from nivomigrate.db import Target\n"
            "from nivomigrate.engine.diff import diff_sql\n"
            f"print(diff_sql(Target('a', {production!r}), Target('b', {staging!r})))\n")

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO)

    assert result.returncode == 0, result.stderr
    assert 'add column "note" text' in result.stdout


def test_hostile_enum_label_stays_a_label_when_the_diff_is_applied(make_database, tmp_path):
    production = _database(make_database, "create table public.foo (id int);")
    staging = _database(make_database, "create table public.foo (id int); create type "
                        "public.mood as enum ('x''); DROP TABLE public.foo; --', 'O''Brien');")

    result = _diff(tmp_path, production, staging)
    with psycopg.connect(production, autocommit=True) as conn:
        conn.execute(result.stdout)  # the printed script, as a user would run it
        labels = [label for (label,) in conn.execute(
            "select enumlabel from pg_enum order by enumsortorder").fetchall()]
        foo = conn.execute("select to_regclass('public.foo')").fetchone()[0]

    assert result.returncode == 1, result.stderr
    assert labels == ["x'); DROP TABLE public.foo; --", "O'Brien"]
    assert foo == "foo"


def test_function_named_with_a_quote_is_dropped_not_a_crash(make_database, tmp_path):
    production = _database(make_database, 'create function public."say""hi"(who text) '
                           "returns text language sql as $$ select who $$;")
    staging = _database(make_database, "select 1;")

    result = _diff(tmp_path, production, staging)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert 'drop function if exists "public"."say""hi"(who text);' in result.stdout


def test_column_order_no_statement_can_make_is_named_and_exit_1(make_database, tmp_path):
    production = _database(make_database, "create table public.t (a int, b int);")
    staging = _database(make_database, "create table public.t (b int, a int);")

    result = _diff(tmp_path, production, staging)

    assert result.returncode == 1, result.stderr
    assert "-- not scripted: table public.t: column order differs" in result.stdout
