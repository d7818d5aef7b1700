"""take_snapshot / compare / fingerprint on real databases."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from nivomigrate.snapshot import Snapshot, compare, take_snapshot

FORWARD = """
create type public.mood as enum ('sad', 'ok', 'happy');
create table public.project (id bigint generated always as identity primary key,
                             name text not null collate "C", mood public.mood);
create table public.task (
    id bigserial primary key,
    project_id bigint not null references public.project (id) on delete cascade,
    title text not null default 'untitled',
    done boolean not null default false,
    total numeric(10, 2) generated always as (0) stored,
    constraint title_not_blank check (title <> '')
);
create index task_project_idx on public.task (project_id) where not done;
create unique index task_title_key on public.task (project_id, lower(title));
create view public.open_task as select id, title from public.task where not done;
create function public.bump() returns trigger language plpgsql as $$
begin new.title := new.title; return new; end $$;
create trigger task_bump before update on public.task for each row execute function public.bump();
comment on table public.task is 'work to do';
"""
# The same schema: other creation order, other column order, constraints added later.
BACKWARD = """
create function public.bump() returns trigger language plpgsql as $$
begin new.title := new.title; return new; end $$;
create type public.mood as enum ('sad', 'ok', 'happy');
create table public.task (
    total numeric(10, 2) generated always as (0) stored,
    done boolean not null default false,
    title text not null default 'untitled',
    project_id bigint not null,
    id bigserial primary key
);
create table public.project (mood public.mood, name text not null collate "C",
                             id bigint generated always as identity primary key);
alter table public.task add constraint task_project_id_fkey foreign key (project_id)
    references public.project (id) on delete cascade;
alter table public.task add constraint title_not_blank check (title <> '');
create unique index task_title_key on public.task (project_id, lower(title));
create index task_project_idx on public.task (project_id) where not done;
comment on table public.task is 'work to do';
create trigger task_bump before update on public.task for each row execute function public.bump();
create view public.open_task as select id, title from public.task where not done;
"""


def _snapshot(url: str, script: str = "") -> Snapshot:
    with psycopg.connect(url, autocommit=True) as conn:
        if script:
            conn.execute(script)
        return take_snapshot(conn)


def _pair(make_database, production_script: str, staging_script: str):
    production = _snapshot(make_database("nivo_prod"), production_script)
    staging = _snapshot(make_database("nivo_staging"), staging_script)
    return staging, production


def test_same_schema_in_other_order_has_same_fingerprint(make_database) -> None:
    staging, production = _pair(make_database, BACKWARD, FORWARD)

    assert staging.fingerprint == production.fingerprint
    assert compare(staging, production).is_empty


def test_snapshot_sees_every_kind(make_database) -> None:
    snapshot = _snapshot(make_database(), FORWARD)

    for key in ("table public.task", "column public.task.title", "index public.task_title_key",
                "constraint public.task.task_project_id_fkey", "enum public.mood",
                "sequence public.task_id_seq", "view public.open_task", "function public.bump()",
                "trigger public.task.task_bump", "schema public"):
        assert key in snapshot.objects, key
    assert snapshot.objects["enum public.mood"]["labels"] == ["sad", "ok", "happy"]
    assert snapshot.objects["column public.project.id"]["identity"] == "a"
    assert snapshot.objects["column public.task.total"]["generated"] == "0"
    assert snapshot.objects["column public.project.name"]["collation"] == '"C"'
    assert snapshot.objects["table public.task"]["comment"] == "work to do"
    assert "sequence public.project_id_seq" not in snapshot.objects  # the identity's own


@pytest.mark.parametrize(("change", "kind", "key"), [
    ("alter table public.task add column note text", "added", "column public.task.note"),
    ("alter table public.task alter column title set default 'new'", "changed",
     "column public.task.title"),
    ("drop index public.task_project_idx", "removed", "index public.task_project_idx"),
    ("alter table public.task drop constraint task_project_id_fkey, add constraint "
     "task_project_id_fkey foreign key (project_id) references public.project (id) "
     "on delete set null", "changed", "constraint public.task.task_project_id_fkey"),
    ("alter type public.mood add value 'angry'", "changed", "enum public.mood"),
    ("alter table public.task drop constraint title_not_blank, add constraint title_not_blank "
     "check (length(title) > 1)", "changed", "constraint public.task.title_not_blank"),
    ("alter table public.task alter column done drop not null", "changed",
     "column public.task.done"),
])
def test_each_kind_of_difference_is_found(make_database, change, kind, key) -> None:
    staging, production = _pair(make_database, FORWARD, FORWARD + ";" + change)

    schema_diff = compare(staging, production)

    assert staging.fingerprint != production.fingerprint
    assert schema_diff.keys()[kind] == [key]
    assert sum(map(len, schema_diff.keys().values())) == 1


def test_changed_object_lists_both_values(make_database) -> None:
    staging, production = _pair(
        make_database, FORWARD,
        FORWARD + ";alter table public.task alter column title drop default")

    (change,) = compare(staging, production).changed

    assert change.differences == (("default", None, "'untitled'::text"),)


def test_our_schema_and_ledgers_are_ignored(make_database) -> None:
    # The platform's part (Supabase's schemas): tests/test_platform.py.
    staging, production = _pair(make_database, FORWARD, FORWARD + """;
        create schema nivomigrate; create table nivomigrate.ledger (id int);
        create table public.alembic_version (version_num varchar(32) primary key);
        create table public._prisma_migrations (id varchar(36) primary key);
        create temp table scratch (id int);
    """)

    assert staging.fingerprint == production.fingerprint


def test_search_path_does_not_change_the_snapshot(make_database) -> None:
    url = make_database()
    first = _snapshot(url, "create schema app; create table app.t (id int primary key, "
                           "p int references app.t (id));")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("set search_path to app, public")
        second = take_snapshot(conn)

    assert first.fingerprint == second.fingerprint


@pytest.fixture(scope="module")
def other_major_url(tmp_path_factory) -> Iterator[str]:
    """A PostgreSQL server of another major version: NIVOMIGRATE_TEST_OTHER_MAJOR_URL, else
    pgserver's embedded build (a runtime dependency), stopped afterwards."""
    configured = os.environ.get("NIVOMIGRATE_TEST_OTHER_MAJOR_URL")
    if configured:
        yield configured
        return
    import pgserver

    folder = tmp_path_factory.mktemp("pgserver")
    if os.geteuid() == 0:  # pgserver runs its server as an unprivileged user
        os.chmod(folder, 0o777)
    server = pgserver.get_server(folder, cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


def test_same_ddl_has_same_fingerprint_on_another_major_version(make_database,
                                                                other_major_url) -> None:
    other_url = other_major_url
    here = _snapshot(make_database(), FORWARD)
    with psycopg.connect(other_url, autocommit=True) as admin:
        admin.execute("drop database if exists nivo_other_major with (force)")
        admin.execute("create database nivo_other_major")
    try:
        other = _snapshot(make_conninfo(other_url, dbname="nivo_other_major"), FORWARD)
    finally:
        with psycopg.connect(other_url, autocommit=True) as admin:
            admin.execute("drop database if exists nivo_other_major with (force)")
    if other.server_version // 10000 == here.server_version // 10000:
        pytest.skip(f"the other server is the same major version ({other.server_version})")

    assert compare(here, other).keys() == {"added": [], "removed": [], "changed": []}
    assert here.fingerprint == other.fingerprint


SECURED = FORWARD + """;
alter table public.task enable row level security;
create policy task_open on public.task for select to public using (not done);
grant select on public.task to pg_monitor;
grant select (mood) on public.project to public;
alter view public.open_task set (security_invoker = on);
"""


@pytest.mark.parametrize(("change", "kind", "key"), [
    ("grant delete on public.task to public", "added", "grant on table public.task to PUBLIC"),
    ("revoke select on public.task from pg_monitor", "removed",
     "grant on table public.task to pg_monitor"),
    ("grant insert on public.task to pg_monitor with grant option", "changed",
     "grant on table public.task to pg_monitor"),
    ("grant update (mood) on public.project to public", "changed",
     "grant on column public.project.mood to PUBLIC"),
    ("revoke select (mood) on public.project from public", "removed",
     "grant on column public.project.mood to PUBLIC"),
    ("revoke execute on function public.bump() from public", "added",
     "grant on function public.bump() to PUBLIC"),
    ("grant usage on sequence public.task_id_seq to pg_monitor", "added",
     "grant on sequence public.task_id_seq to pg_monitor"),
    ("grant usage on schema public to pg_monitor", "added", "grant on schema public to pg_monitor"),
    ("alter default privileges in schema public grant select on tables to pg_monitor", "added",
     "default_privileges for current_user in public on tables to pg_monitor"),
    ("alter default privileges revoke execute on functions from public", "added",
     "default_privileges for current_user on functions to PUBLIC"),
    ("alter view public.open_task reset (security_invoker)", "changed", "view public.open_task"),
    ("alter view public.open_task set (security_barrier)", "changed", "view public.open_task"),
    ("alter table public.task force row level security", "changed", "table public.task"),
    ("alter policy task_open on public.task using (done)", "changed",
     "policy public.task.task_open"),
    ("alter function public.bump() security definer", "changed", "function public.bump()"),
    ("alter function public.bump() set search_path = public", "changed",
     "function public.bump()"),
])
def test_each_security_difference_is_found(make_database, change, kind, key) -> None:
    staging, production = _pair(make_database, SECURED, SECURED + ";" + change)

    schema_diff = compare(staging, production)

    assert schema_diff.keys()[kind] == [key]
    assert sum(map(len, schema_diff.keys().values())) == 1


def test_security_settings_read_as_written(make_database) -> None:
    snapshot = _snapshot(make_database(), SECURED + """;
        alter view public.open_task set (security_barrier = 1);
        alter function public.bump() security definer;""")

    view = snapshot.objects["view public.open_task"]
    assert view["options"] == {"security_invoker": "true", "security_barrier": "true"}
    assert view["owner"] == "current_user"
    assert snapshot.objects["function public.bump()"]["security_definer"] is True
    assert snapshot.objects["grant on table public.task to pg_monitor"] == {
        "privileges": ["SELECT"]}
    assert "grant on table public.task to owner" not in snapshot.objects  # the default


# Tables of every shape the diff scripts (inheritance, partitions, identity, unlogged, quotes).
_SHAPES = '''
create table public.parent (id int, a text);
create table public.child (b int) inherits (public.parent);
create table public.log (id int generated by default as identity, at date not null)
    partition by range (at);
create table public.log_a partition of public.log for values from ('2024-01-01') to ('2025-01-01');
create unlogged table public."Odd ""name""" (x int);
'''
# FORWARD + _SHAPES's fingerprint as main computed it (c8d1d10), before the diff scripted tables
# itself: adopters' ledgers hold fingerprints, so the rows they are made of must not change.
_RECORDED_FINGERPRINT = "c8d9f38595c210879704d349448543322be64ad4d951327ced7f6fbf26af9675"


def test_fingerprint_of_a_recorded_schema_is_unchanged(make_database) -> None:
    snapshot = _snapshot(make_database("nivo_fp"), FORWARD + _SHAPES)
    assert snapshot.fingerprint == _RECORDED_FINGERPRINT
