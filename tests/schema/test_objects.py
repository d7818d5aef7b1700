"""nivomigrate.schema.objects: the kinds compared, and alembic_utils' comparison kept to
shadow databases."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from nivomigrate.schema.entities import View
from nivomigrate.schema.objects import ENTITY_TYPES, MANAGED_KINDS
from nivostack_models import metadata
from tests.objects_case import declared


def test_every_entity_kind_is_a_direct_replaceable_entity():
    from alembic_utils.replaceable_entity import ReplaceableEntity

    # alembic_utils looks for undeclared objects to drop only in direct subclasses.
    assert all(ReplaceableEntity in kind.__bases__ for kind in ENTITY_TYPES if kind.__module__
               .startswith("nivomigrate"))
    assert "default privileges" in MANAGED_KINDS


def test_declared_objects_are_not_compared_outside_a_shadow_database(make_database):
    engine = sa.create_engine(make_database().replace("postgresql://", "postgresql+psycopg://"),
                              poolclass=sa.NullPool)
    with declared(View("public", "one", "select 1 as one")), engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_schemas": False})
        differences = compare_metadata(context, metadata)
        views = conn.execute(sa.text("select count(*) from pg_views "
                                     "where schemaname = 'public'")).scalar()
    engine.dispose()

    assert not [d for d in differences if "View" in repr(d)]
    assert views == 0
