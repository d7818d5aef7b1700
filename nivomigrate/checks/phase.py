"""phase: a revision is either an expand or a contract, and says which.

Problem: NivoStack's three services deploy on their own, so for minutes to days an old build of
one service runs against the new schema. An expand (add a table, a column, an index; widen a
type) is safe for the old and the new builds; a contract (drop or rename a table or column,
narrow a type, NOT NULL on a column a service inserts without) breaks every old build still
live. A revision that mixes both cannot be deployed between the two: the new builds need its
expand, the old ones are broken by its contract. And a revision declared `phase = "expand"`
that drops a column would skip promote's live-readers gate.
Do instead: split it: the expand in one revision, promoted and deployed to every service; the
contract in a later one, declared `phase = "contract"`, which promote holds until no live build
reads what it removes (docs/expand-contract.md). `nivomigrate revision` declares the phase it
infers from the operations it writes. A revision that declares none gets the phase its
operations imply (a mix is then a WARNING, so that revisions written before phases keep
passing; a declared revision that mixes, or contradicts its operations, is an ERROR).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity

if TYPE_CHECKING:
    from pathlib import Path

    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.revision_sql import Change, RevisionSQL
    from nivomigrate.migrations import Revision
    from nivomigrate.policies.services import ServiceMap

NAME = "phase"
EXPAND = "expand"
CONTRACT = "contract"
PHASES = (EXPAND, CONTRACT)
_DROPS = {"drop_table", "rename_table", "drop_column", "rename_column"}
# A type change to one of these keeps every value an old build reads or writes (widening).
_WIDE_TYPES = {"TEXT", "BIGINT", "DOUBLE PRECISION", "NUMERIC", "JSONB", "VARCHAR",
               "TIMESTAMPTZ"}


@dataclass(frozen=True)
class Removed:
    """What a contract takes away from an old build: a table, or a column of it (`column`
    None for the whole table); `kind` is the Change kind that removes it."""

    kind: str
    table: str
    column: str | None = None

    @property
    def label(self) -> str:
        return f"{self.table}.{self.column}" if self.column else self.table


@dataclass(frozen=True)
class PhaseOf:
    """A revision's phase: the one it declares (None: none), the one its operations imply
    (None: neither, e.g. only grants), and the changes that make it a contract or an expand."""

    declared: str | None
    inferred: str | None
    contract: tuple[Removed, ...] = ()
    expand: tuple[str, ...] = ()

    @property
    def phase(self) -> str:
        """The phase the gate uses: the declared one, else the inferred one, else expand."""
        return self.declared or self.inferred or EXPAND

    @property
    def is_mixed(self) -> bool:
        return bool(self.contract and self.expand)


def declared_phase(versions_dir: Path, revision: Revision) -> str | None:
    """Return the revision's module attribute `phase` ("expand" or "contract"), None when it
    declares none.

    Raises:
        ConfigError: it declares another value.
    """
    from nivomigrate import migrations
    from nivomigrate.errors import ConfigError

    script = migrations.script_directory(versions_dir).get_revision(revision.id)
    value = getattr(script.module, "phase", None)
    if value is None:
        return None
    if value not in PHASES:
        raise ConfigError(f"{revision.path.name}: phase = {value!r} is neither \"expand\" nor "
                          "\"contract\"", hint='declare phase = "expand" or phase = "contract"')
    return value


def phase_of(rendered: RevisionSQL, services: ServiceMap, declared: str | None) -> PhaseOf:
    """Classify the revision's changes (tables it creates itself are left out)."""
    created = rendered.created_tables()
    contract: list[Removed] = []
    expand: list[str] = []
    for statement in rendered.statements:
        for change in statement.changes:
            if change.table in created and change.kind != "create_table":
                continue
            kind = _kind_of(change, services)
            if kind == CONTRACT:
                contract.append(Removed(change.kind, change.table, change.column))
            elif kind == EXPAND:
                expand.append(f"{change.kind.replace('_', ' ')} {change.table}"
                              + (f".{change.column}" if change.column else ""))
    inferred = CONTRACT if contract else (EXPAND if expand else None)
    return PhaseOf(declared, inferred, tuple(dict.fromkeys(contract)), tuple(expand))


def _kind_of(change: Change, services: ServiceMap) -> str | None:
    if change.kind in _DROPS:
        return CONTRACT
    if change.kind == "alter_type":
        wide = change.detail.split("(")[0].strip().upper() in _WIDE_TYPES
        return EXPAND if wide and "(" not in change.detail else CONTRACT
    if change.kind == "set_not_null":
        return CONTRACT if _inserted_without(change, services) else EXPAND
    if change.kind in {"create_table", "add_column", "create_index"}:
        return EXPAND
    return None  # constraints, validations, grants, other ALTERs: neither


def _inserted_without(change: Change, services: ServiceMap) -> list[str]:
    """The services that insert into the table without writing the column."""
    return [use.service for use in services.of_table(change.table)
            if "insert" in use.statement_kinds()
            and change.column not in use.writes and "*" not in use.writes]


def check(revision: RevisionSQL, ctx: LintContext) -> list[Finding]:
    """The registry's entry: a mix of expand and contract, or a declared phase its operations
    contradict."""
    declared = declared_phase(revision.revision.path.parent, revision.revision)
    found = phase_of(revision, ctx.services, declared)
    location = Location(revision.file, 1, revision.revision.id)
    contract = ", ".join(f"{r.kind.replace('_', ' ')} {r.label}" for r in found.contract)
    if found.is_mixed:
        severity = Severity.ERROR if declared else Severity.WARNING
        expand = ", ".join(found.expand[:5])
        return [Finding(
            NAME, severity, f"revision {revision.revision.id} mixes expand ({expand}) and "
            f"contract ({contract})", location,
            help="split it: the expand first, deployed to every service; the contract in a "
            'later revision declaring phase = "contract" (docs/expand-contract.md)',
            evidence=(("declared", declared or "none"),))]
    if declared == EXPAND and found.contract:
        return [Finding(
            NAME, Severity.ERROR, f"revision {revision.revision.id} declares phase = "
            f'"expand" but contracts: {contract}', location,
            help='declare phase = "contract", so that promote holds it until no live build '
            "reads what it removes (docs/expand-contract.md)")]
    if declared == CONTRACT and found.inferred == EXPAND:
        return [Finding(
            NAME, Severity.ERROR, f"revision {revision.revision.id} declares phase = "
            f'"contract" but only expands: {", ".join(found.expand[:5])}', location,
            help='declare phase = "expand" (a contract removes what old builds use)')]
    return []
