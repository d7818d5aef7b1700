"""One revision adding a view (security_invoker), a function, a trigger, RLS forced, a policy,
a grant to PUBLIC and a column grant on NivoStack's Plan table, and the same objects declared
as entities beside the models; `declared_in` declares entities in a project's models for one
test, `declared` registers them in alembic_utils' registry only (no models loaded)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic_utils.pg_function import PGFunction
from alembic_utils.replaceable_entity import register_entities, registry

from nivomigrate import migrations
from nivomigrate.schema.entities import (
    Policy,
    RowLevelSecurity,
    TableGrant,
    Trigger,
    View,
    column_grants,
)

FUNCTION_BODY = ("RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.\"price\" := "
                 "coalesce(NEW.\"price\", 0); RETURN NEW; END $$")
TRIGGER_SQL = ('CREATE TRIGGER plan_touch BEFORE UPDATE ON public."Plan" FOR EACH ROW '
               "EXECUTE FUNCTION public.plan_touch()")
VIEW_BODY = 'SELECT "id", "name", "price" FROM public."Plan" WHERE "isPublic"'
POLICY_SQL = ('CREATE POLICY plan_public_read ON public."Plan" FOR SELECT TO PUBLIC '
              'USING ("isPublic")')

UPGRADE = [
    f"CREATE FUNCTION public.plan_touch() {FUNCTION_BODY}",
    TRIGGER_SQL,
    f"CREATE VIEW public.public_plan WITH (security_invoker = true) AS {VIEW_BODY}",
    'ALTER TABLE public."Plan" ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY',
    POLICY_SQL,
    "GRANT SELECT ON public.public_plan TO PUBLIC",
    'GRANT SELECT ("name", "price") ON public."Plan" TO PUBLIC',
]
DOWNGRADE = [
    'REVOKE SELECT ("name", "price") ON public."Plan" FROM PUBLIC',
    'DROP POLICY plan_public_read ON public."Plan"',
    'ALTER TABLE public."Plan" DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY',
    "DROP VIEW public.public_plan",
    'DROP TRIGGER plan_touch ON public."Plan"',
    "DROP FUNCTION public.plan_touch()",
]

REVISION = '''"""Plan objects: a view, a function, a trigger, RLS, a policy and grants."""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in {upgrade!r}:
        op.execute(statement)


def downgrade() -> None:
    for statement in {downgrade!r}:
        op.execute(statement)
'''


def declarations() -> dict[str, list]:
    """Return the revision's objects as entities, by what a test may leave out."""
    return {
        "function": [PGFunction("public", "plan_touch()", FUNCTION_BODY)],
        "trigger": [Trigger("public", "Plan", "plan_touch", TRIGGER_SQL)],
        "view": [View("public", "public_plan", VIEW_BODY, options={"security_invoker": True})],
        "rls": [RowLevelSecurity("public", "Plan", forced=True)],
        "policy": [Policy("public", "Plan", "plan_public_read", POLICY_SQL)],
        "grant": [TableGrant("public", "public_plan", "PUBLIC", ["SELECT"])],
        "column grant": column_grants("public", "Plan", ["name", "price"], "PUBLIC",
                                      ["SELECT"]),
    }


def add_revision(versions: Path, upgrade: list[str] = UPGRADE,
                 downgrade: list[str] = DOWNGRADE) -> str:
    """Write the revision after head into `versions`; return its id."""
    head = migrations.head(versions)
    revision_id = migrations.next_revision_id(versions)
    (versions / f"{revision_id}_plan_objects.py").write_text(REVISION.format(
        id=revision_id, down=head, upgrade=upgrade, downgrade=downgrade))
    return revision_id


@contextmanager
def declared_in(models: Path, *entities) -> Iterator[None]:
    """Declare `entities` in the models package `models` for the block: a module of it
    (`adopted_*.py`, imported with the models), written as nivomigrate writes declarations."""
    from nivomigrate.engine.declarations import render_declarations

    path = models / "adopted_test_objects.py"
    path.write_text(render_declarations(list(entities), '"""Objects of one test."""\n'
                                        "from alembic_utils.replaceable_entity import "
                                        "register_entities\n"))
    try:
        yield
    finally:
        path.unlink()


@contextmanager
def declared(*entities) -> Iterator[None]:
    """Register `entities` beside the models for the block, as a models module would."""
    saved = dict(registry._entities)
    register_entities(list(entities))
    try:
        yield
    finally:
        registry._entities.clear()
        registry._entities.update(saved)
