"""model_findings: the models (tables plus the objects declared beside them) against the
revisions at head, on real databases; and the merge gate and `revision -m` that use it."""

from __future__ import annotations

import pytest

from nivomigrate.engine.models import model_findings
from nivomigrate.errors import ConfigError
from nivomigrate.progress import Progress
from nivomigrate.schema.entities import TableGrant
from nivomigrate.steps.check import check_models
from nivomigrate.steps.plan import make_plan
from nivomigrate.steps.revision import write_revision
from tests.objects_case import DOWNGRADE, UPGRADE, add_revision, declarations, declared_in
from tests.steps.conftest import COPIED_MODELS

QUIET = Progress(quiet=True)
# What `check` names when one declaration is left out of the models.
NAMED = {
    "function": "cannot be created: function public.plan_touch() does not exist",
    "trigger": "trigger public.Plan.plan_touch only in the revisions",
    "view": "view public.public_plan only in the revisions",
    "rls": "table public.Plan differs (force_row_security: True vs False; row_security",
    "policy": "policy public.Plan.plan_public_read only in the revisions",
    "grant": "grant on view public.public_plan to PUBLIC only in the revisions",
    "column grant": "grant on column public.Plan.name to PUBLIC only in the revisions",
}


def _all_but(left_out: str | None = None) -> list:
    return [entity for group, entities in declarations().items() if group != left_out
            for entity in entities]


def test_every_object_declared_passes_check_and_the_merge_gate(project):
    add_revision(project.root / "versions")

    with declared_in(project.root / COPIED_MODELS, *_all_but()):
        report = check_models(project.settings())
        plan = make_plan(project.settings(), "all", gate="merge", progress=QUIET)

    assert report.exit_code == 0, [f.message for f in report.findings]
    assert "grants (table, column, sequence, function, schema; PUBLIC)" in report.data["compared"]
    assert plan.exit_code == 0, [f.message for f in plan.findings if f.is_blocking]


@pytest.mark.parametrize("left_out", sorted(NAMED))
def test_each_object_left_out_of_the_models_is_named(project, left_out):
    add_revision(project.root / "versions")

    with declared_in(project.root / COPIED_MODELS, *_all_but(left_out)):
        findings = model_findings(project.settings())

    messages = [f.message for f in findings]
    assert any(NAMED[left_out] in message for message in messages), messages
    assert all(f.check == "models-match-revisions" for f in findings)


def test_undeclared_view_is_named_with_the_way_to_declare_it(project):
    add_revision(project.root / "versions")

    with declared_in(project.root / COPIED_MODELS, *_all_but("view")):
        (view,) = [f for f in model_findings(project.settings())
                   if f.location.object == "view public.public_plan"]

    assert "declare it beside the models" in view.help


@pytest.mark.parametrize("left_out", ["view", "policy", "column grant"])
def test_revision_writes_the_declared_object(project, left_out):
    leave = {"view": "public_plan", "policy": "plan_public_read",
             "column grant": '("name", "price")'}[left_out]
    add_revision(project.root / "versions", [s for s in UPGRADE if leave not in s],
                 [s for s in DOWNGRADE if leave not in s])

    with declared_in(project.root / COPIED_MODELS, *_all_but()):
        assert model_findings(project.settings()) != []
        path = write_revision(project.settings(), "declared objects")
        assert model_findings(project.settings()) == []

    text = path.read_text()
    assert "op.create_entity(" in text and "from nivomigrate.schema.entities import" in text


def test_a_declaration_that_cannot_be_created_is_named(project):
    missing = TableGrant("public", "NoSuchTable", "PUBLIC", ["SELECT"])
    with declared_in(project.root / COPIED_MODELS, missing):
        (finding,) = model_findings(project.settings())

    assert finding.message.startswith("the models' TableGrant: public.NoSuchTable to PUBLIC "
                                      "cannot be created: ")
    assert finding.is_blocking


def test_a_kind_nivomigrate_does_not_compare_is_refused(project):
    from alembic_utils.pg_view import PGView

    with declared_in(project.root / COPIED_MODELS, PGView("public", "plain", "select 1 as one")):
        with pytest.raises(ConfigError, match="PGView: public.plain, a kind") as refusal:
            model_findings(project.settings())

    assert "View instead of PGView" in refusal.value.hint


def test_what_the_models_create_is_kept_per_ddl_with_its_failures(project, tmp_path):
    """The models' schema is built once per DDL they emit (kept in the cache folder for the
    next command): the same models give the same findings from the kept answer, failures to
    create included, and models that change are built again."""
    from nivomigrate.config import load_settings

    settings = load_settings(project_root=project.root,
                             environ={**project.environ, "NIVOMIGRATE_CACHE_DIR": str(tmp_path)})
    add_revision(project.root / "versions")

    def findings(left_out: str | None) -> tuple[list[str], int]:
        with declared_in(project.root / COPIED_MODELS, *_all_but(left_out)):
            messages = [f.message for f in model_findings(settings)]
        return messages, len(list((tmp_path / "models").glob("*.json")))

    assert findings(None) == ([], 1)
    assert findings(None) == ([], 1)  # the kept answer
    built, kept = findings("function")  # the trigger's function left out: it cannot be made
    assert any(NAMED["function"] in message for message in built), built
    assert kept == 2
    assert findings("function") == (built, 2)
