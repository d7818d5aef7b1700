"""Status: each environment's revision, pending revisions and last run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import ledger, migrations
from nivomigrate.db import connection, target_for
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def show_status(settings: Settings, selection: str = "all") -> Report:
    """Return each environment's current revision and pending revisions."""
    targets = {name: target_for(settings.environment(name))
               for name in settings.selected(selection)}
    chain = migrations.revisions(settings.versions_dir)
    head = migrations.head_of(chain)
    rows, data = [], {}
    for name, target in targets.items():
        with connection(target, writes=False) as conn:
            current = migrations.current_revision(conn)
            last = ledger.last_run(conn, ("apply", "promote", "baseline", "repair"))
        pending = [r.id for r in migrations.pending_after(chain, current)]
        rows.append((name, current or "base", head or "-", ", ".join(pending) or "none",
                     f"#{last.id} {last.kind} {last.status}" if last else "none"))
        data[name] = {"current_revision": current, "head": head, "pending": pending,
                      "last_run": last.id if last else None}
    return Report(command="status", title="nivomigrate status",
                  sections=(Section("Environments", ("environment", "revision", "head",
                                                     "pending", "last run"), tuple(rows)),),
                  data={"environments": data})
