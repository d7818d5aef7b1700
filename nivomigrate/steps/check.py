"""Check that the models and the revisions describe the same schema, with one head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.decision import head_findings
from nivomigrate.engine.models import managed_kinds
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def check_models(settings: Settings) -> Report:
    """Return the check's report; blocked when models and revisions differ or heads fork,
    or when a table at head is missing from policies/services.yaml. The report names the kinds
    of objects compared (`data["compared"]`)."""
    findings = head_findings(settings)  # the merge gate's verdict on the same facts
    agree = all(f.check == "unmapped-table" for f in findings)
    title = "models and revisions " + ("agree" if agree else "disagree")
    title += "; tables missing from services.yaml" if findings and agree else ""
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
