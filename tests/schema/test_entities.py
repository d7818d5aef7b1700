"""The entities of nivomigrate.schema.entities, and the pinned alembic_utils ones used beside
them, on a real database: each created reads back equal (identity and definition), its drop
gives the role PostgreSQL's default back, and bad declarations are refused."""

from __future__ import annotations

import pytest
from alembic_utils.exceptions import BadInputException
from alembic_utils.pg_extension import PGExtension
from alembic_utils.pg_function import PGFunction
from alembic_utils.pg_materialized_view import PGMaterializedView
from sqlalchemy.orm import Session

from nivomigrate.db import Target, sqlalchemy_engine
from nivomigrate.schema.entities import (
    ColumnGrant,
    DefaultPrivileges,
    FunctionGrant,
    Policy,
    RowLevelSecurity,
    SchemaGrant,
    SequenceGrant,
    TableGrant,
    Trigger,
    View,
    column_grants,
    table_grants,
)

SCHEMA = """
create table public."Plan" (id text primary key, name text, "isPublic" boolean);
create sequence public.plan_seq;
create function public.plan_name(plan_id text) returns text language sql
    as $$ select name from public."Plan" where id = plan_id $$;
create function public.plan_touch() returns trigger language plpgsql
    as $$ begin return new; end $$;
"""

ENTITIES = {
    "view": View("public", "public_plan", 'SELECT id, name FROM public."Plan" WHERE "isPublic"',
                 options={"security_invoker": "on", "security_barrier": True}),
    "trigger": Trigger("public", "Plan", "plan_touch", 'CREATE TRIGGER plan_touch BEFORE '
                       'UPDATE ON public."Plan" FOR EACH ROW EXECUTE FUNCTION public.plan_touch()'),
    "policy": Policy("public", "Plan", "plan_read", 'CREATE POLICY plan_read ON public."Plan" '
                     'FOR SELECT TO PUBLIC USING ("isPublic")'),
    "rls": RowLevelSecurity("public", "Plan", forced=True),
    "table grant": TableGrant("public", "Plan", "PUBLIC", ["select", "DELETE"]),
    "grant option": TableGrant("public", "Plan", "pg_monitor", ["SELECT"],
                               with_grant_option=True),
    "column grant": ColumnGrant("public", "Plan", "name", "pg_monitor", ["SELECT", "UPDATE"]),
    "sequence grant": SequenceGrant("public", "plan_seq", "PUBLIC", ["USAGE"]),
    "function revoke": FunctionGrant("public", "plan_name(text)", "PUBLIC", []),
    "function grant": FunctionGrant("public", "plan_name(text)", "pg_monitor", ["EXECUTE"]),
    "schema grant": SchemaGrant("public", "pg_monitor", ["USAGE"]),
    "default in schema": DefaultPrivileges("tables", "pg_monitor", ["SELECT"],
                                           in_schema="public"),
    "default revoke": DefaultPrivileges("functions", "PUBLIC", []),
    # alembic_utils' own, pinned at 0.8.8
    "function": PGFunction("public", "plan_count()",
                           'RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM "Plan" $$'),
    "materialized view": PGMaterializedView("public", "plan_names",
                                            'SELECT name FROM public."Plan"', with_data=False),
    "extension": PGExtension("public", "pg_trgm"),
}


@pytest.fixture
def session(make_database):
    engine = sqlalchemy_engine(Target("entities", make_database("nivo_entities")), writes=True)
    with engine.connect() as conn:
        conn.exec_driver_sql(SCHEMA)
        with Session(bind=conn) as session:
            yield session
    engine.dispose()


def _found(session, entity):
    return {e.identity: e for e in type(entity).from_database(session, entity.schema)}


@pytest.mark.parametrize("name", sorted(ENTITIES))
def test_created_entity_reads_back_equal_and_its_drop_removes_it(session, name):
    entity = ENTITIES[name]
    assert entity.identity not in _found(session, entity)

    session.execute(entity.to_sql_statement_create())
    found = _found(session, entity)

    assert entity.identity in found
    if not isinstance(entity, (View, Trigger, Policy, PGFunction, PGMaterializedView)):
        assert found[entity.identity].definition == entity.definition
    assert entity.get_required_migration_op(session) is None  # alembic_utils: nothing to do
    session.execute(entity.to_sql_statement_drop())
    assert entity.identity not in _found(session, entity)


def test_view_options_read_back_and_survive_a_replace(session):
    view = ENTITIES["view"]
    session.execute(view.to_sql_statement_create())
    for statement in view.to_sql_statement_create_or_replace():
        session.execute(statement)

    (found,) = View.from_database(session, "public")

    assert found.options == {"security_barrier": "true", "security_invoker": "true"}
    plain = View("public", "public_plan", view.definition)
    assert type(plain.get_required_migration_op(session)).__name__ == "ReplaceOp"


def test_replaced_grant_has_exactly_the_declared_privileges(session):
    session.execute(ENTITIES["table grant"].to_sql_statement_create())
    fewer = TableGrant("public", "Plan", "PUBLIC", ["SELECT"])
    for statement in fewer.to_sql_statement_create_or_replace():
        session.execute(statement)

    found = _found(session, fewer)[fewer.identity]

    assert found.privileges == ("SELECT",)


def test_rendered_entities_are_python_that_rebuilds_them():
    import nivomigrate.schema.entities as module

    for entity in ENTITIES.values():
        if type(entity).__module__ != module.__name__:
            continue
        namespace = vars(module).copy()
        exec(entity.render_self_for_migration(), namespace)
        rebuilt = namespace[entity.to_variable_name()]
        assert (rebuilt.identity, rebuilt.definition) == (entity.identity, entity.definition)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: TableGrant("public", "Plan", "anon", ["EXECUTE"]), "cannot grant"),
    (lambda: FunctionGrant("public", "f(text)", "PUBLIC", ["EXECUTE"]), "default"),
    (lambda: TableGrant("public", "Plan", "anon", []), "no grant"),
    (lambda: DefaultPrivileges("views", "anon", ["SELECT"]), "one of"),
    (lambda: RowLevelSecurity("public", "Plan", enabled=False), "declare nothing"),
])
def test_bad_declarations_are_refused(make, message):
    with pytest.raises(BadInputException, match=message):
        make()


def test_column_grants_make_one_per_column():
    grants = column_grants("public", "Plan", ["id", "name"], "anon", ["SELECT"])

    assert [g.identity for g in grants] == ["ColumnGrant: public.Plan.id to anon",
                                           "ColumnGrant: public.Plan.name to anon"]


def test_table_grants_come_from_data():
    grants = table_grants("ingest_api", {"Log": ["INSERT"], "Device": ["UPDATE", "SELECT"]})

    assert [repr(g) for g in grants] == [
        "TableGrant('public', 'Device', 'ingest_api', ['SELECT', 'UPDATE'])",
        "TableGrant('public', 'Log', 'ingest_api', ['INSERT'])"]
