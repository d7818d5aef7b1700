"""Plan: what apply and promote would do, and the gate's verdict. Read-only everywhere."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from nivomigrate import ledger, migrations
from nivomigrate.checks import unversioned
from nivomigrate.checks.live_readers import evidence_section
from nivomigrate.db import connection, target_for
from nivomigrate.engine.decision import apply_decision, pending_phases, promote_decision
from nivomigrate.engine.run import RunContext
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding, Report, Section, deduplicated
from nivomigrate.policies.promotion import load_promotion_policy
from nivomigrate.progress import Progress

if TYPE_CHECKING:
    from nivomigrate.config import Settings

GATES = ("merge", "promote")


def make_plan(settings: Settings, selection: str = "all", *, gate: str = "promote",
              progress: Progress | None = None) -> Report:
    """Return the plan of `selection` (staging, prod or all) under `gate` (merge or promote).

    Raises:
        ConfigError: unknown gate or environment, or an environment's URL is not set.
    """
    if gate not in GATES:
        raise ConfigError(f"unknown gate {gate!r}", hint="use --gate merge or --gate promote")
    progress = progress or Progress()
    names = settings.selected(selection)
    targets = {name: target_for(settings.environment(name)) for name in _needed(settings, names)}
    with progress.step("rendering the revisions' SQL"):
        chain = migrations.with_sql_checksums(settings.versions_dir,
                                              migrations.revisions(settings.versions_dir))
    head = migrations.head_of(chain)
    git = ledger.git_state(settings.root, settings.versions_dir)
    findings: list[Finding] = []
    sections: list[Section] = []
    data: dict = {"gate": gate, "head": head, "environments": {}}
    for name in names:
        with progress.step(f"planning {name}"):
            env_findings, env_sections, env_data = _plan_environment(
                settings, name, targets, chain, head, gate, git)
        findings += env_findings
        sections += env_sections
        data["environments"][name] = env_data
    findings += _head_findings(settings, head, gate, progress, data)
    data["lock_limits"] = load_promotion_policy(settings.policies_dir).lock_limits_json()
    sections += _environment_diff(settings, targets, progress)
    findings = deduplicated(findings)
    notes = ("read-only: every session was opened read-only, so a read-only role works too",)
    return Report(command="plan", title=f"nivomigrate plan ({gate} gate): head {head}",
                  findings=tuple(findings), sections=tuple(sections), data=data, notes=notes)


def _needed(settings: Settings, names: list[str]) -> list[str]:
    """Plan needs each environment it plans and the one each is promoted from."""
    needed = list(names)
    for name in names:
        source = settings.environment(name).promoted_from
        if source and source not in needed:
            needed.append(source)
    return needed


def _plan_environment(settings, name, targets, chain, head, gate, git):
    target = targets[name]
    promoted_from = settings.environment(name).promoted_from
    with connection(target, writes=False) as conn:
        current = migrations.current_revision(conn)
        pending = migrations.pending_after(chain, current)
        ctx = RunContext(settings, name, target, chain, current, head, pending, git)
        if promoted_from and gate == "promote":
            with connection(targets[promoted_from], writes=False) as source_conn:
                # promote's own verdict: uncommitted revision files block it too
                decision = promote_decision(ctx, conn, source_conn)
        else:
            decision = apply_decision(ctx, conn)
    findings = [replace(f, environment=f.environment or name) for f in decision.findings]
    if any(f.check == unversioned.NAME for f in findings):
        return findings, [_unversioned_section(name, pending)], {
            "current_revision": None, "unversioned": True, "footprint": [], "pending": []}
    rendered = [migrations.render_sql(settings.versions_dir, r) for r in pending]
    back = decision.way_back.items if decision.way_back is not None else []
    phases = {r.id: p.phase for r, p in pending_phases(settings, pending)}
    sections = [Section(
        f"{name}: {current or 'base'} → {head} ({len(pending)} pending)",
        ("revision", "phase", "message", "file", "sql checksum"),
        tuple((r.id, phases[r.id], r.message, r.file_name, (r.sql_checksum or "")[:12])
              for r in pending),
    )]
    sections += [evidence_section(evidence, revision, name)
                 for revision, evidence in decision.live_readers]
    sections += [Section(f"{name}: SQL of {item.revision.id}", text=item.steps_text(),
                         language="sql") for item in rendered]
    if back:
        from nivomigrate.engine.way_back import certificate_section

        sections.append(certificate_section(back, f"{name}: way back (staging's certificates)"))
    staging_run = decision.staging_run
    if staging_run is None and promoted_from and pending:
        with connection(targets[promoted_from], writes=False) as source_conn:
            staging_run = ledger.last_passed_run(source_conn, head)
    footprints = []
    if staging_run is not None:
        sections.append(_footprint_section(name, staging_run, {r.id for r in pending}))
        footprints = ledger.footprints_of(staging_run, {r.id for r in pending})
        budget_findings, budget_section = _duration_budget(settings, target, name, pending,
                                                           staging_run)
        sections.append(budget_section)
        findings += budget_findings if gate == "promote" else []
    data = {"current_revision": current, "footprint": footprints, "way_back": back, "pending": [
        {"id": item.revision.id, "file": item.revision.file_name,
         "phase": phases[item.revision.id],
         "file_checksum": item.revision.file_checksum,
         "sql_checksum": item.revision.sql_checksum, "sql": item.sql} for item in rendered]}
    return findings, sections, data


def _unversioned_section(name: str, pending) -> Section:
    """What to do first on a database with a schema and no revision: no SQL, only the step."""
    return Section(f"{name}: not versioned yet", text=(
        f"Adopt {name} first: nivomigrate baseline {name}\n"
        f"It records the revision whose schema {name} has and changes nothing; plan again "
        f"then. The SQL of its {len(pending)} pending revisions is not shown: after the "
        "baseline only those past the adopted one remain."))


def _duration_budget(settings, target, name: str, pending, run: ledger.Run):
    """Staging's measured statements projected onto `name`'s sizes, judged by the windows."""
    from nivomigrate.checks import duration_budget
    from nivomigrate.policies.promotion import load_promotion_policy

    policy = load_promotion_policy(settings.policies_dir)
    with connection(target, writes=False) as conn:
        projections = duration_budget.project(run, {r.id for r in pending}, conn)
    files = {r.id: str(r.path) for r in pending}
    return (duration_budget.findings(projections, policy, name, files),
            duration_budget.section(projections, policy, name, run.id))


def _footprint_section(name: str, run: ledger.Run, pending_ids: set[str]) -> Section:
    """The locks each pending statement held on staging, and the tables' sizes in `name`."""
    rows = []
    for entry in run.checks:
        footprint = entry.get("footprint")
        if not footprint or footprint["revision"] not in pending_ids:
            continue
        for statement in footprint["statements"]:
            locks = ", ".join(sorted({f"{lock['mode']} {lock['relation']}"
                                      for lock in statement["locks"]}))
            tables = ", ".join(_table_text(table) for table in statement["tables"])
            rows.append((footprint["revision"], " ".join(statement["sql"].split())[:70],
                         f"{statement['duration_s'] * 1000:.0f} ms", locks or "-", tables or "-"))
    return Section(f"{name}: lock footprint measured on staging (run #{run.id})",
                   ("revision", "statement", "held", "locks", f"tables (staging → {name})"),
                   tuple(rows))


def _table_text(table: dict) -> str:
    change = " rewritten" if table.get("rewritten") else (" scanned" if table.get("scanned")
                                                         else "")
    production = table.get("production_rows")
    projected = table.get("projected_s")
    return (f"{table['table']}{change}: {table.get('rows')} → "
            f"{production if production is not None else '?'} rows"
            + (f", ~{projected * 1000:.0f} ms projected" if projected is not None else ""))


def _head_findings(settings: Settings, head: str | None, gate: str,
                   progress: Progress, data: dict) -> list[Finding]:
    """Coverage of the head schema (also kept in `data["coverage"]`); for the merge gate,
    models and revisions agree."""
    from nivomigrate.engine.build import template_target
    from nivomigrate.engine.coverage import coverage_data, examine_coverage

    with progress.step("checking index coverage of the head schema"):
        with connection(template_target(settings, head), writes=False) as conn:
            result = examine_coverage(settings, conn, with_plans=False, with_usage=False)
    data["coverage"] = coverage_data(result)
    findings = [replace(f, environment="head") for f in result.findings]
    if gate == "merge":
        from nivomigrate.engine.decision import head_findings

        with progress.step("checking that models and revisions agree"):
            findings += head_findings(settings)
        from nivomigrate.engine.way_back import merge_gate_findings

        with progress.step("proving each revision's way back in the shadow server"):
            findings += merge_gate_findings(settings)
        if settings.prisma_schema is not None:
            from nivomigrate.steps.prisma import prisma_findings

            with progress.step("checking that schema.prisma is at head"):
                findings += prisma_findings(settings)
    return findings


def _environment_diff(settings: Settings, targets: dict, progress: Progress) -> list[Section]:
    """The SQL that would turn prod into staging today."""
    pairs = [(settings.environment(name).promoted_from, name) for name in targets
             if settings.environment(name).promoted_from in targets]
    sections = []
    for source, name in pairs:
        from nivomigrate.engine.diff import diff_schemas

        with progress.step(f"diffing {source} and {name}"):
            result = diff_schemas(targets[name], targets[source])
        sections.append(Section(f"{name} → {source} difference",
                                text=result.sql or f"-- {name} and {source} are equal",
                                language="sql"))
    return sections

