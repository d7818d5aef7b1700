"""Check that the models and the revisions describe the same schema, with one head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import migrations, shadow
from nivomigrate.db import Target, sqlalchemy_engine
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Location, Report, Section, Severity
from nivomigrate.steps.gate import exit_code

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def model_findings(settings: Settings) -> list[Finding]:
    """Compare the schema the revisions build at head with the one the models create.

    Uses the same snapshot comparison as drift and verification, so server defaults, check
    constraints and index details count (autogenerate alone misses them).
    """
    from nivomigrate.snapshot import compare
    from nivomigrate.steps.build import shadow_server, snapshot_at
    from nivomigrate.steps.gate import difference_lines

    try:
        head = migrations.head(settings.versions_dir)
    except ConfigError as exc:
        return [Finding("heads", Severity.ERROR, exc.message, Location(
            file=str(settings.versions_dir)), exc.hint)]
    from nivomigrate.models import load_metadata

    metadata = load_metadata(settings)
    server = shadow_server(settings)
    revisions_snapshot = snapshot_at(settings, head, server)
    with shadow.scratch_database(server.admin_url, template=server.platform_template,
                                 prefix="nivo_models") as url:
        models_snapshot = _models_snapshot(url, metadata)
    difference = compare(revisions_snapshot, models_snapshot)
    return [
        Finding("models-match-revisions", Severity.ERROR,
                f"the models and revision {head} disagree: {line}",
                Location(object=line.split(" only in ")[0].split(" differs")[0]),
                "write a revision for the models' change: nivomigrate revision -m \"...\"")
        for line in difference_lines(difference, "the revisions", "the models")
    ]


def _models_snapshot(url: str, metadata):
    target = Target("models", url, "the shadow server")
    engine = sqlalchemy_engine(target, writes=True)
    with engine.begin() as conn:
        metadata.create_all(conn)
    engine.dispose()
    from nivomigrate.steps.diff import snapshot_of

    return snapshot_of(target)


def check_models(settings: Settings) -> Report:
    """Return the check's report; blocked when models and revisions differ or heads fork."""
    findings = model_findings(settings)
    rows = tuple((f.location.object or "", f.message) for f in findings)
    return Report(
        command="check",
        title="models and revisions " + ("disagree" if findings else "agree"),
        findings=tuple(findings),
        sections=(Section("Differences", ("object", "difference"), rows),) if rows else (),
        data={"differences": [f.location.object for f in findings],
              "exit_code": exit_code(findings)},
    )
