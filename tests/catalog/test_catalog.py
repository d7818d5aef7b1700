"""The catalog floor: one reader, one row per object keyed by kind and qualified name."""

from __future__ import annotations

import re
from pathlib import Path

import psycopg
import pytest

from nivomigrate import catalog
from nivomigrate.catalog import KINDS, ROW_KINDS, read_catalog
from nivomigrate.catalog.acl import DEFAULT_ACL_KINDS

FLOOR = Path(catalog.__file__).parent
PACKAGE = FLOOR.parent
# One object of every kind the catalog reads, hostile names among them.
SCHEMA = """
create schema "App's";
create extension if not exists pg_trgm schema "App's";
create collation "App's"."ci""coll" (provider = icu, locale = 'und-u-ks-level2',
                                    deterministic = false);
create type "App's".mood as enum ('x''); drop table foo; --', 'O''Brien');
create domain "App's".positive as integer check (value > 0);
create type "App's".pair as (a integer, b text);
create sequence "App's"."Seq""1" minvalue 5 start 5;
create table "App's"."Order" (id bigint generated always as identity primary key,
                              qty "App's".positive not null, mood "App's".mood);
alter table "App's"."Order" add constraint qty_small check (qty < 100) not valid;
create index "order.qty" on "App's"."Order" (qty);
create view "App's".orders as select id, qty from "App's"."Order";
create materialized view "App's".totals as select sum(qty) as total from "App's"."Order";
create function "App's".f() returns trigger language plpgsql as $$ begin return new; end $$;
create procedure "App's".p() language sql as $$ select 1 $$;
create trigger t before insert on "App's"."Order" for each row execute function "App's".f();
alter table "App's"."Order" enable row level security;
create policy "own rows" on "App's"."Order" using (true);
grant select on "App's"."Order" to public;
alter default privileges in schema "App's" grant select on tables to public;
"""


@pytest.fixture(scope="module")
def read(canary_admin_url, dropper):
    from nivomigrate import shadow

    name = shadow.scratch_name("nivo_catalog")
    url = shadow.create_database(canary_admin_url, name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(SCHEMA)
        with psycopg.connect(url) as conn:
            yield read_catalog(conn, items=True, parts=True)
    finally:
        dropper.drop(canary_admin_url, name)


def test_every_kind_of_the_table_is_read_keyed_by_qualified_name(read):
    assert set(read.rows) == ROW_KINDS
    assert '"App\'s"."Order"' not in read.of("table")
    assert set(read.of("table")) == {"App's.Order"}
    assert "App's.Order.qty" in read.of("column")
    assert "App's.Order.qty_small" in read.of("constraint")
    assert read.of("constraint")["App's.Order.qty_small"].attributes["validated"] is False
    assert read.of("enum")["App's.mood"].attributes["labels"] == ["x'); drop table foo; --",
                                                                  "O'Brien"]
    assert set(read.of("procedure")) == {"App's.p()"}
    assert read.of("trigger")["App's.Order.t"].key == "trigger App's.Order.t"


def test_parts_name_each_object_unquoted_and_are_no_attribute(read):
    order = read.of("table")["App's.Order"]
    assert dict(order.parts) == {"schema": "App's", "name": "Order"}
    assert read.of("index")["App's.order.qty"].parts["table"] == "Order"
    assert read.of("column")["App's.Order.id"].parts["sequence"] == ["App's", "Order_id_seq"]
    assert read.of("constraint")["App's.Order.Order_pkey"].parts["columns"] == ["id"]
    grant = read.of("grant")["on table App's.Order to PUBLIC"]
    assert (grant.parts["name"], grant.parts["grantee"]) == ("Order", None)
    assert read.of("policy")["App's.Order.own rows"].parts["roles"] == [None]
    assert not any("parts" in row.attributes for row in read)


def test_a_read_inside_a_transaction_gives_its_search_path_back(canary_admin_url):
    with psycopg.connect(canary_admin_url) as conn:
        conn.execute("set local search_path to public")
        conn.execute('create schema "nivo parts"; create table "nivo parts".t ()')
        only = read_catalog(conn, kinds=frozenset({"table"}))  # parts not asked for
        assert conn.execute("show search_path").fetchone()[0] == "public"
        conn.rollback()
    assert set(only.rows) == {"table"}
    assert dict(only.of("table")["nivo parts.t"].parts) == {}


def test_rows_are_frozen(read):
    row = read.of("table")["App's.Order"]
    with pytest.raises(AttributeError):
        row.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        row.attributes["kind"] = "v"  # type: ignore[index]


def test_extension_members_are_the_extensions_not_the_apps(read):
    assert "extension pg_trgm" in {row.key for row in read}
    assert not any(name.startswith("App's.similarity") for name in read.of("function"))


def test_the_diffs_items_are_read_in_the_same_transaction(read):
    assert read.items.of("sequence_value")["App's.Seq\"1"].value is None
    assert "sequence_value" not in read.items.comparable()  # data, never a difference
    assert read.items.of("row_security")['TABLE "App\'s"."Order"'].value == [True, False]


def test_kinds_table_and_files_agree():
    files = {path.name for path in (FLOOR / "kinds").glob("*.sql")}
    assert files == {kind.sql for kind in KINDS}
    for kind in KINDS:
        text = (FLOOR / "kinds" / kind.sql).read_text()
        assert set(re.findall(r"'([a-z_ ]+)'(?: as kind| end as kind)", text)) <= set(kind.yields)


def test_kinds_written_as_values_name_them_in_their_files_order():
    for kind in (kind for kind in KINDS if kind.values):
        text = (FLOOR / "kinds" / kind.sql).read_text()
        assert re.findall(r"  -- ([a-z_]+)$", text, re.MULTILINE) == [*kind.values, "parts"]


def test_rows_written_as_values_have_every_attribute(read):
    for kind in (kind for kind in KINDS if kind.values):
        for row in read.of(kind.name).values():
            assert tuple(row.attributes) == kind.values


def test_no_other_module_defines_managed_objects_or_the_default_acl_mapping():
    """`managed.sql` defines the managed objects, `acl.py` the default-ACL kinds: a query of
    pg_default_acl outside the floor is composed over managed.sql and takes its mapping."""
    for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.sql")]:
        relative = str(path.relative_to(PACKAGE))
        if relative.startswith("catalog/"):
            continue
        text = path.read_text()
        assert "managed_namespace as (" not in text, relative
        assert not re.search(r"when 'S' then 's(equences)?'", text), relative
        assert "pg_default_acl" not in text or "join default_acl_kind" in text, relative
    assert set(DEFAULT_ACL_KINDS) == {"r", "S", "f", "T", "n"}


def test_the_floor_imports_nothing_above_it():
    for path in FLOOR.rglob("*.py"):
        imported = re.findall(r"^\s*(?:from|import) (nivomigrate[\w.]*)", path.read_text(), re.M)
        assert all(name.startswith("nivomigrate.catalog") for name in imported), path


def test_read_once_reads_a_connections_catalog_once_in_its_block_only(make_database):
    """A decision's checks share one read of each of its connections; another connection,
    and any read after the block, sees the catalog as it is then."""
    url = make_database("nivo_once")
    with psycopg.connect(url, autocommit=True) as conn, \
            psycopg.connect(url, autocommit=True) as other:
        conn.execute("create table first (id int)")
        with catalog.read_once(conn):
            read = read_catalog(conn)
            other.execute("create table second (id int)")
            assert read_catalog(conn) is read  # the decision's one moment
            assert set(read_catalog(conn, parts=True).of("table")) == {"public.first",
                                                                      "public.second"}
            assert set(read_catalog(other).of("table")) == {"public.first", "public.second"}
        assert set(read_catalog(conn).of("table")) == {"public.first", "public.second"}
