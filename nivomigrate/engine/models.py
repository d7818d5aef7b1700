"""The schema the models create, compared with the one the revisions build at head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import migrations, shadow
from nivomigrate.checks import models_match, single_head
from nivomigrate.db import Target, sqlalchemy_engine
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding

if TYPE_CHECKING:
    from nivomigrate.config import Settings

def model_findings(settings: Settings) -> list[Finding]:
    """Compare the schema the revisions build at head with the one the models create.

    The models are the tables of `nivomigrate.schema.metadata` plus every object declared
    beside them (`nivomigrate.schema.objects`); both sides are compared with the same snapshot
    as drift and verification, so server defaults, check constraints, index details, views
    and their options, functions, triggers, policies, RLS and privileges count.

    A declared object that cannot be created (it needs one not declared) is a finding too.

    Raises:
        ConfigError: the models declare an entity of a kind nivomigrate does not compare.
    """
    from nivomigrate.engine.build import shadow_server, snapshot_at
    from nivomigrate.models import load_metadata
    from nivomigrate.snapshot import compare

    try:
        head = migrations.head(settings.versions_dir)
    except ConfigError as exc:
        return single_head.findings(exc.message, exc.hint, str(settings.versions_dir))
    metadata = load_metadata(settings)
    server = shadow_server(settings)
    revisions_snapshot = snapshot_at(settings, head, server)
    with shadow.scratch_database(server.admin_url, template=server.platform_template,
                                 prefix="nivo_models") as url:
        models_snapshot, failures = _models_snapshot(url, metadata)
    return (models_match.creation_findings(failures)
            + models_match.findings(compare(revisions_snapshot, models_snapshot), head))


def managed_kinds() -> tuple[str, ...]:
    """Return the kinds of objects `model_findings` compares."""
    from nivomigrate.schema.objects import MANAGED_KINDS

    return MANAGED_KINDS


def _models_snapshot(url: str, metadata):
    from nivomigrate.schema.objects import declared_entities

    target = Target("models", url, "the shadow server")
    engine = sqlalchemy_engine(target, writes=True)
    try:
        with engine.begin() as conn:
            metadata.create_all(conn)
            failures = create_declared(conn, declared_entities())
    finally:
        engine.dispose()
    from nivomigrate.engine.diff import snapshot_of

    return snapshot_of(target), failures


def create_declared(conn, entities: list) -> list[tuple[str, str]]:
    """Create the declared entities on `conn` (a shadow database), in an order that works.

    Returns:
        (identity, error) of each entity that could not be created; the others are created.

    Raises:
        ConfigError: an entity of a kind nivomigrate does not compare.
    """
    import sqlalchemy
    from alembic_utils.depends import solve_resolution_order
    from sqlalchemy.orm import Session

    from nivomigrate.schema.objects import ENTITY_TYPES

    for entity in entities:
        if type(entity) not in ENTITY_TYPES:
            raise ConfigError(
                f"the models declare {entity.identity}, a kind nivomigrate does not compare",
                hint="declare one of: " + ", ".join(t.__name__ for t in ENTITY_TYPES)
                + " (View instead of PGView, the grant entities instead of PGGrantTable)")
    rank = {kind: number for number, kind in enumerate(ENTITY_TYPES)}
    entities = sorted(entities, key=lambda e: (rank[type(e)], e.identity))
    with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
        ordered = solve_resolution_order(session, entities)
        session.rollback()
    failures = []
    for entity in ordered:
        try:
            with conn.begin_nested():
                conn.execute(entity.to_sql_statement_create())
        except sqlalchemy.exc.DBAPIError as exc:
            failures.append((entity.identity, str(exc.orig).strip().splitlines()[0]))
    return failures
