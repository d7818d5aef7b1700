"""A new revision's phase written into its file: expand or contract, as its operations imply.

`revision` (from the models or from schema.prisma) calls `declare_phase` once the file is
written, so that the declaration and the `phase` lint check (checks/phase.py) read the same
operations. A revision that mixes both gets no declaration but a comment saying to split it:
lint warns about it, and promote's gate treats it as the contract it contains.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from nivomigrate.config import Settings


def declare_phase(settings: Settings, path: Path) -> str | None:
    """Write `phase = "expand"` or `phase = "contract"` under the revision's identifiers in
    `path`; return the phase, None when its operations imply neither (nothing is written) or
    mix both (a comment says to split it)."""
    from nivomigrate import migrations
    from nivomigrate.checks.phase import phase_of
    from nivomigrate.checks.revision_sql import render_revision
    from nivomigrate.policies.services import load_service_map

    revision = next(r for r in migrations.revisions(settings.versions_dir)
                    if r.path.resolve() == path.resolve())
    found = phase_of(render_revision(settings.versions_dir, revision),
                     load_service_map(settings.policies_dir), None)
    if found.inferred is None:
        return None
    lines = path.read_text().splitlines(keepends=True)
    at = next((i for i, line in enumerate(lines) if line.startswith("depends_on")), None)
    declaration = (f'# expand/contract (docs/expand-contract.md): set by nivomigrate revision\n'
                   f'phase = "{found.inferred}"\n')
    if found.is_mixed:
        declaration = ("# phase: this revision mixes expand and contract; split it, the "
                       "contract in a later revision (docs/expand-contract.md)\n")
    if at is None:
        lines.append("\n" + declaration)
    else:
        lines.insert(at + 1, declaration)
    path.write_text("".join(lines))
    return None if found.is_mixed else found.inferred
