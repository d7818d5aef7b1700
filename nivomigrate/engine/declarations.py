"""The model declarations nivomigrate writes beside a revision it wrote, so that `nivomigrate
check` passes right after: those of the objects `baseline --write-revision` adopts, and the
service roles' privileges `nivomigrate roles` grants (`adopted_service_roles.py`).

The objects besides tables (views, functions, triggers, policies, RLS, grants, default
privileges, extensions) are read with the entity classes of `nivomigrate.schema.objects` from a
shadow database holding the schema the revisions build with the adoption revision, never
from the adopted database itself; those a shadow database built from the models also holds
are left out: what the models declare already, the platform's objects (both are built on its
copy) and the grants its default privileges give. Tables and columns are not written: their
models are Python classes to edit by hand.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.db import sqlalchemy_engine

if TYPE_CHECKING:
    from nivomigrate.db import Target

_HEADER = '''"""{environment}'s objects besides tables, adopted with revision {revision} (written by
baseline, review it).

Written by `nivomigrate baseline {environment} --write-revision` beside the adoption revision:
the declarations of the objects it adopts, read from the schema the revisions build, so that
`nivomigrate check` agrees. Keep those that belong in the models (move them to the module of
the service that owns them if you like) and commit the file.
"""
# ruff: noqa: E501

from alembic_utils.replaceable_entity import register_entities

'''
_ROLES_HEADER = '''"""The service roles' privileges at revision {revision}, declared for the models.

Written by `nivomigrate roles` beside the revision it wrote from policies/services.yaml, and
rewritten whole each time it writes one, so that `nivomigrate check` agrees: change
services.yaml and run `nivomigrate roles` rather than editing this file.
"""
# ruff: noqa: E501

from alembic_utils.replaceable_entity import register_entities

'''


def adopted_entities(shadow: Target, models: Target) -> list:
    """Return the entities in the shadow database `shadow` that `models` (a database holding
    what the models create) lacks: the platform's objects and the grants default privileges
    give are in both, and so are the objects the models already declare."""
    present = {entity.identity for entity in _entities(models)}
    return [entity for entity in _entities(shadow) if entity.identity not in present]


def _entities(target: Target) -> list:
    """Return every entity of the compared kinds in `target`, once each."""
    from sqlalchemy.orm import Session

    from nivomigrate.catalog import read_catalog
    from nivomigrate.schema.objects import ENTITY_TYPES

    found: dict[str, object] = {}
    engine = sqlalchemy_engine(target, writes=False)
    try:
        with engine.connect() as conn, Session(bind=conn) as session:
            # the managed schemas, and the platform's (the app's policies and triggers on its
            # tables are declared in them)
            read = read_catalog(conn.connection.driver_connection, kinds=frozenset({"schema"}))
            schemas = sorted(set(read.of("schema")) | read.platform.schemas)
            for kind in ENTITY_TYPES:
                for schema in schemas:
                    for entity in kind.from_database(session, schema):
                        if entity.schema in schemas and not _is_version_table(entity):
                            found.setdefault(entity.identity, entity)
    finally:
        engine.dispose()
    return list(found.values())


def _is_version_table(entity) -> bool:
    """alembic's version table is nivomigrate's, not the models' (a grant on it, say)."""
    from nivomigrate.migrations import VERSION_TABLE

    return getattr(entity, "object_name", None) == VERSION_TABLE


def render_declarations(entities: list, header: str) -> str:
    """Return the text of a module declaring `entities` with register_entities."""
    imports = sorted({type(e).render_import_statement().splitlines()[0] for e in entities})
    names: list[str] = []
    bodies = []
    for entity in entities:
        name = _unique(entity.to_variable_name(), names)
        names.append(name)
        rendered = entity.render_self_for_migration()
        bodies.append(re.sub(r"^[^=]+=", f"{name} =", rendered, count=1))
    listing = "".join(f"    {name},\n" for name in names)
    return (header + "\n".join(imports) + "\n\n" + "\n".join(bodies)
            + f"\nregister_entities([\n{listing}])\n")


def _unique(name: str, taken: list[str]) -> str:
    name = re.sub(r"\W+", "_", name).strip("_") or "entity"
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}_{number}", number + 1
    return candidate


def write_declarations(shadow: Target, models: Target, *, environment: str, revision: str,
                       directory: Path) -> Path | None:
    """Write `adopted_<environment>_<revision>.py` into the models' `directory`; None when
    none is new."""
    from nivomigrate.schema.objects import ADOPTED_PREFIX

    entities = adopted_entities(shadow, models)
    if not entities:
        return None
    slug = re.sub(r"[^a-z0-9]+", "_", environment.lower()).strip("_") or "database"
    path = directory / f"{ADOPTED_PREFIX}{slug}_{revision}.py"
    path.write_text(render_declarations(
        entities, _HEADER.format(environment=environment, revision=revision)))
    return path


def write_role_declarations(shadow: Target, roles: list[str], *, revision: str,
                            directory: Path) -> Path:
    """Write (over) `adopted_service_roles.py` in the models' `directory`: every privilege the
    service `roles` hold in `shadow`, the schema at the revision `nivomigrate roles` wrote."""
    from nivomigrate.schema.objects import ADOPTED_PREFIX

    entities = [entity for entity in _entities(shadow) if getattr(entity, "role", None) in roles]
    path = directory / f"{ADOPTED_PREFIX}service_roles.py"
    path.write_text(render_declarations(entities, _ROLES_HEADER.format(revision=revision)))
    return path
