"""Check that the models and the revisions describe the same schema, with one head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate.engine.models import model_findings
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def check_models(settings: Settings) -> Report:
    """Return the check's report; blocked when models and revisions differ or heads fork."""
    findings = model_findings(settings)
    rows = tuple((f.location.object or "", f.message) for f in findings)
    return Report(
        command="check",
        title="models and revisions " + ("disagree" if findings else "agree"),
        findings=tuple(findings),
        sections=(Section("Differences", ("object", "difference"), rows),) if rows else (),
        data={"differences": [f.location.object for f in findings]},
    )
