"""one-way: a revision whose downgrade restores the previous schema passes, one whose downgrade
does not is an error unless it declares `one_way` (proofs made in a real shadow server)."""

from __future__ import annotations

from nivomigrate import migrations
from nivomigrate.checks import one_way
from nivomigrate.engine.way_back import one_way_reason, prove_in_shadow
from nivomigrate.findings import Severity
from tests.engine.test_way_back import ADD_NICKNAME, DROP_NICKNAME, write_revision


def _judge(project):
    settings = project.settings()
    revision = migrations.revisions(settings.versions_dir)[-1]
    declared = one_way_reason(settings, revision)
    proof = None if declared else prove_in_shadow(settings, [revision])[revision.id]
    return one_way.gate_findings(revision, proof, declared)


def test_downgrade_that_restores_the_schema_is_ok(project):
    write_revision(project, "nickname", ADD_NICKNAME, DROP_NICKNAME)
    assert _judge(project) == []


def test_empty_downgrade_is_flagged(project):
    write_revision(project, "nickname", ADD_NICKNAME, None)
    (finding,) = _judge(project)
    assert finding.severity is Severity.ERROR
    assert "column public.User.nickname" in finding.message


def test_declared_one_way_revision_is_info(project):
    write_revision(project, "nickname", ADD_NICKNAME, None, module='one_way = "kept"\n')
    (finding,) = _judge(project)
    assert finding.severity is Severity.INFO and "kept" in finding.message
