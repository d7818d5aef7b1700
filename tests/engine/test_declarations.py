"""baseline --write-revision also writes the model declarations of the objects it adopts:
on a Prisma-made database with RLS, a policy, a function and a trigger added by hand,
`check` passes right after the adoption."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic_utils.replaceable_entity import registry

from nivomigrate.engine.models import model_findings
from nivomigrate.models import models_directory as project_models_directory
from nivomigrate.steps.baseline import adopt
from tests.steps.conftest import copy_project
from tests.steps.test_baseline import Project, prisma_template  # noqa: F401

HAND_MADE = """
CREATE FUNCTION public.device_touch() RETURNS trigger LANGUAGE plpgsql
    SECURITY DEFINER SET search_path = public AS $$
BEGIN NEW."updatedAt" := now(); RETURN NEW; END $$;
CREATE TRIGGER device_touch BEFORE UPDATE ON public."Device"
    FOR EACH ROW EXECUTE FUNCTION public.device_touch();
ALTER TABLE public."Device" ENABLE ROW LEVEL SECURITY;
CREATE POLICY device_owner ON public."Device" FOR SELECT TO PUBLIC USING ("platform" <> 'test');
"""


@pytest.fixture
def prisma_project(tmp_path, make_database, prisma_template,  # noqa: F811
                   canary_admin_url) -> Project:
    """Staging and prod made by Prisma (revision 0001's schema), not yet adopted."""
    urls = {env: make_database(f"nivo_{env}", template=prisma_template)
            for env in ("staging", "prod")}
    return Project(copy_project(tmp_path), urls, canary_admin_url)


@pytest.fixture
def adopted_declarations():
    """Put back the registrations the adoption's declarations made, afterwards."""
    saved = dict(registry._entities)
    yield
    registry._entities.clear()
    registry._entities.update(saved)


def test_check_passes_right_after_an_adoption(prisma_project, adopted_declarations):
    prisma_project.run("staging", HAND_MADE)

    written = adopt(prisma_project.settings(), "staging", write_revision=True)

    assert written.exit_code == 0
    assert not [f for f in written.findings if f.severity.value == "warning"], [
        f.message for f in written.findings]
    declarations = Path(written.data["declarations"])
    assert declarations.parent == project_models_directory(prisma_project.settings())
    text = declarations.read_text()
    for declared in ("PGFunction(", "Trigger(", "RowLevelSecurity('public', 'Device'",
                     "Policy("):
        assert declared in text, declared
    assert model_findings(prisma_project.settings()) == []
