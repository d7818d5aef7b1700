"""The schema the models create, compared with the one the revisions build at head."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from nivomigrate import migrations, shadow
from nivomigrate.checks import models_match, single_head
from nivomigrate.db import Target, sqlalchemy_engine
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.shadow import LocalServer
    from nivomigrate.snapshot import Snapshot

def model_findings(settings: Settings) -> list[Finding]:
    """Compare the schema the revisions build at head with the one the models create.

    The models are the tables of the project's `metadata` (`models =`) plus every object
    declared beside them (`nivomigrate.schema.objects`); both sides are compared with the
    same snapshot as drift and verification, so server defaults, check constraints, index
    details, views and their options, functions, triggers, policies, RLS and privileges count.

    A declared object that cannot be created (it needs one not declared) is a finding too.

    Raises:
        ConfigError: the models declare an entity of a kind nivomigrate does not compare.
    """
    from nivomigrate.engine.build import shadow_server, snapshot_at
    from nivomigrate.snapshot import compare

    try:
        head = migrations.head(settings.versions_dir)
    except ConfigError as exc:
        return single_head.findings(exc.message, exc.hint, str(settings.versions_dir))
    server = shadow_server(settings)
    revisions_snapshot = snapshot_at(settings, head, server)
    created, failures = models_snapshot(settings, server)
    return (models_match.creation_findings(failures)
            + models_match.findings(compare(revisions_snapshot, created), head))


def unmapped_findings(settings: Settings) -> list[Finding]:
    """unmapped-table on the schema at head (run when the models agree with it)."""
    from nivomigrate.checks import unmapped_table
    from nivomigrate.db import connection
    from nivomigrate.engine.build import template_target
    from nivomigrate.policies.services import load_service_map
    from nivomigrate.privileges import read_tables

    services = load_service_map(settings.policies_dir)
    template = template_target(settings, migrations.head(settings.versions_dir))
    if template.url not in _template_tables:  # a template never changes: read once
        with connection(template, writes=False) as conn:
            _template_tables[template.url] = read_tables(conn)
    return unmapped_table.findings(services, _template_tables[template.url])


_template_tables: dict[str, dict] = {}


def managed_kinds() -> tuple[str, ...]:
    """Return the kinds of objects `model_findings` compares."""
    from nivomigrate.schema.objects import MANAGED_KINDS

    return MANAGED_KINDS


def models_snapshot(settings: Settings, server: LocalServer) -> tuple[Snapshot, list]:
    """Return the snapshot of what the models create, and the declared objects that could not
    be created ((identity, error) pairs), as `models_database` finds them.

    Worked out once per DDL: kept in the cache folder (`nivomigrate.cache`) under the
    statements the models emit (SQLAlchemy's `create_all` compiled without a database, and
    each declared object's CREATE), the platform's copy it runs on, the role and the server's
    version. Models whose DDL cannot be compiled so are built each time.
    """
    from nivomigrate import cache
    from nivomigrate.engine.diff import snapshot_of
    from nivomigrate.models import declared_entities, load_metadata
    from nivomigrate.snapshot import Snapshot

    metadata = load_metadata(settings)
    entities = declared_entities()
    folder = settings.shadow_cache_dir / "models" if settings.shadow_cache_dir else None
    statements = _offline_ddl(metadata, entities)
    question = statements and ["models", shadow.server_version(server.admin_url),
                               shadow.login_role(server.admin_url), server.platform_template,
                               *statements]
    data = cache.kept(folder, question) if question else None
    if isinstance(data, dict):
        return Snapshot.from_json(data["snapshot"]), [tuple(f) for f in data["failures"]]
    with _created(server, metadata, entities) as (models, failures):
        snapshot = snapshot_of(models)
    if question:
        cache.keep(folder, question, {"snapshot": snapshot.to_json(),
                                      "failures": [list(f) for f in failures]})
    return snapshot, failures


def _offline_ddl(metadata, entities: list) -> list[str] | None:
    """Return the statements `create_all` and the declared objects' CREATEs consist of,
    compiled for PostgreSQL without a database, sorted (None when they cannot be)."""
    import sqlalchemy

    statements: list[str] = []
    try:
        engine = sqlalchemy.create_mock_engine(
            "postgresql+psycopg://", lambda sql, *args, **kwargs: statements.append(
                str(sql.compile(dialect=engine.dialect))))
        metadata.create_all(engine, checkfirst=False)
        statements += [str(entity.to_sql_statement_create()) for entity in entities]
    except Exception:  # a model's DDL hook that needs a database: built each time
        return None
    return sorted(statements)  # a table's indexes come in a set's order, which varies


@contextmanager
def models_database(settings: Settings, server: LocalServer) -> Iterator[tuple[Target, list]]:
    """Yield a shadow database holding what the models create, and the declared objects that
    could not be created there ((identity, error) pairs); dropped afterwards.

    Built on the platform's copy where there is one, as the revisions are.
    """
    from nivomigrate.models import declared_entities, load_metadata

    metadata = load_metadata(settings)
    with _created(server, metadata, declared_entities()) as created:
        yield created


@contextmanager
def _created(server: LocalServer, metadata, entities: list) -> Iterator[tuple[Target, list]]:
    with shadow.scratch_database(server.admin_url, template=server.platform_template,
                                 prefix="nivo_models") as url:
        target = Target("models", url, "the shadow server")
        engine = sqlalchemy_engine(target, writes=True)
        try:
            with engine.begin() as conn:
                metadata.create_all(conn)
                failures = create_declared(conn, entities)
        finally:
            engine.dispose()
        yield target, failures


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

    # Compared by name: the default models package is imported afresh from the project folder,
    # so its entity classes are not the objects this module imported.
    rank = {_kind(kind): number for number, kind in enumerate(ENTITY_TYPES)}
    for entity in entities:
        if _kind(type(entity)) not in rank:
            raise ConfigError(
                f"the models declare {entity.identity}, a kind nivomigrate does not compare",
                hint="declare one of: " + ", ".join(t.__name__ for t in ENTITY_TYPES)
                + " (View instead of PGView, the grant entities instead of PGGrantTable)")
    entities = sorted(entities, key=lambda e: (rank[_kind(type(e))], e.identity))
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


def _kind(entity_type: type) -> str:
    return f"{entity_type.__module__}.{entity_type.__qualname__}"
