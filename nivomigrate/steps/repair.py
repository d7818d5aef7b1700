"""Re-accept an edited, already applied revision, with a reason recorded in the ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import ledger
from nivomigrate.checks import checksum
from nivomigrate.engine.run import RunContext, locked_run
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def repair_checksums(settings: Settings, name: str, reason: str) -> Report:
    """Re-accept edited revision files for `name`, recording `reason` in its ledger."""
    if not reason.strip():
        raise ConfigError("--reason is empty", hint="say why the edited revision is fine")

    def body(ctx: RunContext, conn, progress) -> Report:
        edited = checksum.findings(
            ctx.chain, ledger.applied_checksums(conn), ctx.current, ctx.environment,
            executed=ledger.accepted_checksums(conn, kinds=("apply", "promote", "baseline")))
        edited_ids = {f.location.object for f in edited}
        revisions = [r for r in ctx.chain if r.id in edited_ids]
        ledger.ensure_ledger(conn)
        run_id = ledger.start_run(conn, kind="repair", environment=ctx.environment,
                                  from_revision=ctx.current, to_revision=ctx.current,
                                  revisions=ledger.revision_entries(revisions),
                                  fingerprint_before=None, git=ctx.git, actor=settings.actor)
        ledger.finish_run(conn, run_id, status="passed", reason=reason)
        rows = tuple((r.id, r.file_name) for r in revisions)
        return Report(command="repair", title=f"repair {ctx.environment} (run #{run_id})",
                      sections=(Section("Re-accepted revisions", ("revision", "file"), rows),),
                      data={"run_id": run_id, "revisions": [r.id for r in revisions]},
                      notes=() if revisions else ("no edited revision: recorded anyway",))

    return locked_run(settings, name, body)
