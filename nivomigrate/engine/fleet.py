"""A fleet's waves as data: each target's state, the GitHub Actions matrix, the halt rule.

Shared by `fleet plan` (the matrix), `fleet promote` (the waves run here) and `fleet gate`
(the halt rule between the workflow's wave jobs), so that the three agree on what "failed",
"behind" and "may the next wave start" mean. Pure: the facts come from the callers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from nivomigrate.config import Fleet, Settings

HALT = "fleet-halt"


@dataclass(frozen=True)
class TargetState:
    """Where one target of a fleet stands, read from its database and its ledger."""

    target: str
    wave: int                       # 1-based
    revision: str | None            # alembic_version (None: base)
    head: str | None
    last_run: str = ""              # "#12 promote passed", "" when the ledger has none
    failed: bool = False            # its last promote run failed, or its promotion refused
    reason: str = ""

    @property
    def is_behind(self) -> bool:
        return self.revision != self.head


def wave_of(fleet: Fleet, target: str) -> int:
    """Return the 1-based wave `target` is in."""
    return next(number for number, wave in enumerate(fleet.waves, start=1) if target in wave)


def github_matrix(settings: Settings, fleet: Fleet, behind: set[str]) -> dict:
    """Return the workflow's inputs: per wave, the `strategy.matrix` of the targets still
    behind head (`{"include": [{"target", "url-env"}]}`, `""` for a wave with none, which the
    workflow skips), and the halt rule."""
    waves = []
    for wave in fleet.waves:
        include = [{"target": target, "url-env": settings.environment(target).url_variable}
                   for target in wave if target in behind]
        waves.append({"include": include} if include else "")
    return {"fleet": fleet.name, "waves": waves, "max-parallel": fleet.max_parallel,
            "max-failures": fleet.max_failures, "soak-seconds": fleet.soak_seconds,
            "promoted-from": fleet.promoted_from}


def halt_findings(fleet: Fleet, before_wave: int, failed: list[str]) -> list[Finding]:
    """The halt rule before wave `before_wave`: blocked when more targets of the waves before
    it failed (or are still behind head after their wave ran) than `max_failures` allows.
    `before_wave` past the last wave: the fleet's end, when some target failed."""
    if len(failed) <= fleet.max_failures:
        return []
    later = [t for wave in fleet.waves[before_wave - 1:] for t in wave]
    where = (f"halted before wave {before_wave}" if later
             else "did not reach head on every target")
    return [Finding(
        check=HALT, severity=Severity.ERROR,
        message=f"fleet {fleet.name} {where}: {len(failed)} target(s) failed or are behind "
                f"head ({', '.join(failed)}), more than max_failures = {fleet.max_failures}",
        location=Location(object=fleet.name),
        help=(f"nothing after wave {before_wave - 1} ran ({', '.join(later)} unchanged). "
              if later else "") + "Read "
             f"`nivomigrate fleet status {fleet.name}`, fix the failed target(s), then re-run "
             f"`nivomigrate fleet promote {fleet.name}` (or the workflow): it promotes only "
             "what is behind",
        evidence=tuple(("failed", target) for target in failed),
        environment=fleet.name,
    )]


def rerun_hint(fleet: Fleet, states: list[TargetState]) -> str:
    """What to run next: nothing, or the fleet promotion that takes the rest to head."""
    behind = [s.target for s in states if s.is_behind]
    if not behind:
        return f"every target of {fleet.name} is at head: nothing to re-run"
    first = min(s.wave for s in states if s.is_behind)
    return (f"nivomigrate fleet promote {fleet.name} (promotes {', '.join(behind)}, from wave "
            f"{first}; targets at head are skipped)")
