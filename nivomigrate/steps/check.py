"""Check that the models and the revisions describe the same schema, with one head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.models import managed_kinds, model_findings
from nivomigrate.findings import Finding, Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def check_models(settings: Settings) -> Report:
    """Return the check's report; blocked when models and revisions differ or heads fork,
    or when a table at head is missing from policies/services.yaml. The report names the kinds
    of objects compared (`data["compared"]`)."""
    findings = model_findings(settings)
    title = "models and revisions " + ("disagree" if findings else "agree")
    if not findings:
        findings = _unmapped_findings(settings)
        title += "; tables missing from services.yaml" if findings else ""
    rows = tuple((f.location.object or "", f.message) for f in findings)
    kinds = managed_kinds()
    compared = Section("Compared", ("kinds of objects",), ((", ".join(kinds),),))
    return Report(
        command="check",
        title=title,
        findings=tuple(findings),
        sections=((Section("Differences", ("object", "difference"), rows),) if rows else ())
        + (compared,),
        data={"differences": [f.location.object for f in findings],
              "compared": list(kinds)},
    )


def _unmapped_findings(settings: Settings) -> list[Finding]:
    """unmapped-table on the schema at head (the models agree with it when this runs)."""
    from nivomigrate import migrations
    from nivomigrate.checks import unmapped_table
    from nivomigrate.db import connection
    from nivomigrate.engine.build import template_target
    from nivomigrate.policies.services import load_service_map
    from nivomigrate.privileges import read_tables

    services = load_service_map(settings.policies_dir)
    head = migrations.head(settings.versions_dir)
    with connection(template_target(settings, head), writes=False) as conn:
        return unmapped_table.findings(services, read_tables(conn))
