"""The gate's verdict, decided in one place for check, plan, apply and promote.

`plan --gate promote`, `promote --dry-run` and `promote` call `promote_decision` with the same
facts and so give the same verdict; `plan` (for staging, and for every environment under the
merge gate) and `apply` call `apply_decision`. Both start with `_preflight` (checksums,
uncommitted files, drift) and `standing_findings`: what is wrong whatever the pending revisions
do (a table at head no service owns, the index coverage of the schema at head, a table of the
database open to the Supabase Data API that no pending revision closes), so that `plan`
reports it and `apply` refuses before anything changes, instead of the verification failing
afterwards. `check` and the merge gate share `head_findings` (models against revisions, then
unmapped tables).
Both decisions run the static checks of the pending revisions (sql-lint, service-still-uses,
destructive-change, blocking-lock-on-large-table) against the facts of the database that would
change: its table sizes and the data a drop would lose. A finding the revision acknowledges
(`# nivomigrate: ack <check> "<object>" -- reason`) is reported as INFO and does not block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate import ledger
from nivomigrate.catalog import read_once
from nivomigrate.checks import (
    checksum,
    dirty_tree,
    drift,
    platform_defaults,
    signed_run,
    staging_changed,
    staging_run,
    unversioned,
)
from nivomigrate.engine import gate
from nivomigrate.findings import Finding, exit_code_of

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.engine.run import RunContext
    from nivomigrate.migrations import Revision
    from nivomigrate.snapshot import SchemaDiff


@dataclass(frozen=True)
class GateDecision:
    """The findings that decide a run, and what the run needs to know from them."""

    findings: tuple[Finding, ...]
    staging_run: ledger.Run | None = None
    allowed_drift: SchemaDiff | None = None
    projections: tuple = ()  # staging's statements projected onto prod (duration-budget)
    way_back: object = None  # engine.restore.BeforePromotion: certificates, restore plan
    # (revision, engine.live_readers.LiveEvidence) of each pending contract revision
    live_readers: tuple = ()

    @property
    def is_blocked(self) -> bool:
        return any(f.is_blocking for f in self.findings)

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.findings)


def static_findings(settings: Settings, revisions: list[Revision],
                    databases: dict[str, psycopg.Connection],
                    pending: dict[str, set[str]] | None = None) -> list[Finding]:
    """Run the revision checks on `revisions` with the facts of each database in `databases`.

    Args:
        databases: environment name -> open connection; empty for no database context.
        pending: environment name -> ids of the revisions still to apply there; the database
            checks of an environment see only those (default: all of `revisions`).

    Raises:
        ConfigError: a policy file is invalid or squawk is missing.
    """
    from nivomigrate.checks import LINT_CHECKS
    from nivomigrate.checks.context import LintContext
    from nivomigrate.checks.hypothetical import index_changes
    from nivomigrate.checks.revision_sql import apply_annotations, render_revision
    from nivomigrate.policies.hot_queries import HOT_QUERIES_FILE, load_hot_queries
    from nivomigrate.policies.promotion import load_promotion_policy
    from nivomigrate.policies.services import load_service_map

    policy = load_promotion_policy(settings.policies_dir)
    services = load_service_map(settings.policies_dir)
    queries: tuple | None = None  # read only when a revision changes an index
    rehearsal = frozenset(env for env in databases
                          if settings.environment(env).promoted_from is None)
    findings: list[Finding] = []
    for revision in revisions:
        rendered = render_revision(settings.versions_dir, revision)
        here = {env: conn for env, conn in databases.items()
                if pending is None or revision.id in pending.get(env, set())}
        if queries is None and index_changes(rendered):
            queries = tuple(load_hot_queries(settings.policies_dir / HOT_QUERIES_FILE))
        context = LintContext(policy, services, here, queries or (), rehearsal)
        found = [finding for check in LINT_CHECKS for finding in check.check(rendered, context)]
        findings += apply_annotations(rendered, found)
    return findings


def apply_decision(ctx: RunContext, conn: psycopg.Connection, *,
                   allow_drift: bool = False) -> GateDecision:
    """Decide whether the pending revisions may run on `ctx.environment` (staging).

    Checksums, uncommitted files (reported only), drift (allowed with `allow_drift`), then the
    static checks of the pending revisions with this database's facts; the database's catalog
    read once for them all.
    """
    with read_once(conn):
        findings, allowed = _preflight(ctx, conn, allow_drift, allow_dirty=True)
        if ctx.current is None and any(f.is_blocking for f in findings):
            return GateDecision(tuple(findings))  # unversioned: adopt it first, nothing else
        findings += standing_findings(ctx, conn)
        findings += _in(static_findings(ctx.settings, ctx.pending, {ctx.environment: conn}),
                        ctx.environment)
    return GateDecision(tuple(findings), allowed_drift=allowed)


def promote_decision(ctx: RunContext, conn: psycopg.Connection,
                     staging_conn: psycopg.Connection, *, allow_drift: bool = False,
                     allow_dirty: bool = False, watch=None,
                     waiver: str | None = None) -> GateDecision:
    """Decide whether the pending revisions may be promoted to `ctx.environment` (prod).

    Checksums, uncommitted files, drift, staging's passed run of the same SQL (when something
    is pending), the platform's default privileges alike on both (Supabase), then the static
    checks again with prod's own facts (sizes, data lost), a usable restore point for a
    revision whose way-back certificate is lossy or one-way (docs/rollback.md), and, for a
    contract revision, no live reader of what it removes (`contract_findings`; `watch` keeps
    what earlier readings saw, `waiver` is the reason given with `--waive live-readers`).
    Each database's catalog is read once for them all.
    """
    with read_once(conn, staging_conn):
        return _promote_decision(ctx, conn, staging_conn, allow_drift, allow_dirty, watch,
                                 waiver)


def _promote_decision(ctx: RunContext, conn: psycopg.Connection,
                      staging_conn: psycopg.Connection, allow_drift: bool, allow_dirty: bool,
                      watch, waiver: str | None) -> GateDecision:
    findings, allowed = _preflight(ctx, conn, allow_drift, allow_dirty=allow_dirty)
    if ctx.current is None and any(f.is_blocking for f in findings):
        return GateDecision(tuple(findings))  # unversioned: adopt it first, nothing else
    findings += _source_checksums(ctx, staging_conn) + standing_findings(ctx, conn)
    passed_run = None
    if ctx.pending:
        passed_run, executed, signed = _staging_claims(ctx, staging_conn)
        findings += signed
        findings += staging_run.findings(staging_conn, ctx.head, ctx.pending, passed_run,
                                         executed)
        if passed_run is not None:
            findings += staging_changed.findings(staging_conn, ctx.head, passed_run)
    findings += platform_defaults.findings(staging_conn, conn, ctx.environment,
                                           pending=bool(ctx.pending))
    projections = _projections(ctx, conn, passed_run)
    findings += _budget_findings(ctx, projections)
    findings += _in(static_findings(ctx.settings, ctx.pending, {ctx.environment: conn}),
                    ctx.environment)
    from nivomigrate.engine.restore import before_promotion

    back = before_promotion(ctx, conn, staging_conn, passed_run)
    findings += back.findings
    live, evidence = contract_findings(ctx, conn, staging_conn, watch=watch, waiver=waiver)
    return GateDecision(tuple(findings + live), passed_run, allowed, tuple(projections), back,
                        tuple(evidence))


def contract_findings(ctx: RunContext, conn: psycopg.Connection,
                      staging_conn: psycopg.Connection | None, *, watch=None,
                      waiver: str | None = None) -> tuple[list[Finding], list]:
    """The live-readers gate of each pending contract revision: the evidence read on prod
    (`conn`) and replayed on staging, judged against the policy's quiet period; with `waiver`
    (a reason), its ERRORs become INFO naming the actor and the reason.

    Returns:
        The findings, and (revision, LiveEvidence) for each contract revision.
    """
    from nivomigrate.checks import live_readers
    from nivomigrate.engine.live_readers import read_evidence
    from nivomigrate.policies.promotion import load_promotion_policy
    from nivomigrate.policies.services import load_service_map

    contracts = pending_phases(ctx.settings, ctx.pending)
    contracts = [(r, p) for r, p in contracts if p.phase == "contract" and p.contract]
    if not contracts:
        return [], []
    quiet = load_promotion_policy(ctx.settings.policies_dir).contract_quiet_minutes
    services = load_service_map(ctx.settings.policies_dir)
    expanded = ledger.last_passed_run(conn, ctx.current, kinds=("promote", "apply", "baseline"))
    from nivomigrate import migrations

    staging_at = migrations.current_revision(staging_conn) if staging_conn is not None else None
    applied = {r.id for r in migrations.up_to(ctx.chain, staging_at)} if staging_at else set()
    findings, evidence = [], []
    for revision, phase in contracts:
        # the replay means something only on a staging the contract already ran on
        replay_on = staging_conn if revision.id in applied else None
        found = read_evidence(conn, replay_on, list(phase.contract), services, watch=watch,
                              expand_promoted_at=expanded.finished_at if expanded else None)
        evidence.append((revision, found))
        findings += live_readers.findings(found, revision, quiet, ctx.environment)
    if waiver is not None:
        findings = live_readers.waived(findings, ctx.settings.actor, waiver)
    return findings, evidence


def pending_phases(settings: Settings, revisions: list[Revision]) -> list[tuple]:
    """Return (revision, checks.phase.PhaseOf) for each revision: its declared phase, the one
    its operations imply, and what a contract removes."""
    from nivomigrate.checks.phase import declared_phase, phase_of
    from nivomigrate.checks.revision_sql import render_revision
    from nivomigrate.policies.services import load_service_map

    services = load_service_map(settings.policies_dir)
    return [(revision, phase_of(render_revision(settings.versions_dir, revision), services,
                                declared_phase(settings.versions_dir, revision)))
            for revision in revisions]


def _staging_claims(ctx: RunContext, staging_conn: psycopg.Connection
                    ) -> tuple[ledger.Run | None, dict | None, list[Finding]]:
    """Return staging's passed run at head to promote, the checksums to trust (None: every
    passed apply run's) and the signed-run findings. With the ledger key set, only the runs
    whose signature verifies count (nivomigrate/signing.py)."""
    from nivomigrate.engine.identity import read_identity
    from nivomigrate.policies.promotion import load_promotion_policy
    from nivomigrate.signing import is_signed

    key = ctx.settings.ledger_key
    required = load_promotion_policy(ctx.settings.policies_dir).require_signed_runs
    newest = ledger.last_passed_run(staging_conn, ctx.head)
    if key is None:
        return newest, None, signed_run.findings(newest, key_set=False, required=required,
                                                 trusted=False)
    database = read_identity(staging_conn).signed_fields
    trusted = [run for run in ledger.passed_runs(staging_conn)
               if is_signed(key, run, database)]
    at_head = next((run for run in reversed(trusted) if run.to_revision == ctx.head), None)
    is_trusted = newest is not None and any(run.id == newest.id for run in trusted)
    return at_head, ledger.checksums_of(trusted), signed_run.findings(
        newest, key_set=True, required=required, trusted=is_trusted)


def head_findings(settings: Settings) -> list[Finding]:
    """The revisions at head against the models (`models-match-revisions`, `heads`), then,
    when they agree, the tables at head that no service owns (`unmapped-table`): `check`'s
    verdict, and the merge gate's part of it."""
    from nivomigrate.engine.models import model_findings

    findings = model_findings(settings)
    return findings or _unmapped(settings)


def standing_findings(ctx: RunContext, conn: psycopg.Connection) -> list[Finding]:
    """What blocks whatever the pending revisions do, read before anything changes: the tables
    at head no service owns (`unmapped-table`, as `check` says), the index coverage of the
    schema at head (`hot-query-index`, ...), and the tables of this database
    open to the Supabase Data API that no pending revision closes (`anon-access`, which apply's
    verification would otherwise find only after staging changed)."""
    from nivomigrate.checks import anon_access, anon_opened
    from nivomigrate.checks.revision_sql import render_revision

    findings = _head_facts(ctx)
    opened = anon_access.run(conn)
    if opened and ctx.pending:
        rendered = [render_revision(ctx.settings.versions_dir, r) for r in ctx.pending]
        left = anon_opened.still_open(rendered, conn, {f.location.object for f in opened})
        opened = [f for f in opened if f.location.object in left]
    return findings + _in(opened, ctx.environment)


def _head_facts(ctx: RunContext) -> list[Finding]:
    """unmapped-table and coverage on the schema at head; none when head cannot be built in
    the shadow (a revision that fails there): the run meets that failure itself, recorded."""
    from nivomigrate.errors import MigrationError

    try:
        return _unmapped(ctx.settings) + head_coverage_findings(ctx.settings, ctx.head)
    except MigrationError:
        return []


def head_coverage_findings(settings: Settings, head: str | None) -> list[Finding]:
    """The index coverage checks on the schema at `head` (a required hot query without an
    index, ...): what plan reports for head, and what apply's verification would find on
    staging once it holds that schema."""
    from dataclasses import replace

    from nivomigrate.db import connection
    from nivomigrate.engine.build import template_target
    from nivomigrate.engine.coverage import examine_coverage

    if head is None:
        return []
    with connection(template_target(settings, head), writes=False) as conn:
        result = examine_coverage(settings, conn, with_plans=False, with_usage=False)
    return [replace(f, environment="head") for f in result.findings]


def _unmapped(settings: Settings) -> list[Finding]:
    from dataclasses import replace

    from nivomigrate.engine.models import unmapped_findings

    return [replace(f, environment=f.environment or "head") for f in unmapped_findings(settings)]


def _source_checksums(ctx: RunContext, staging_conn: psycopg.Connection) -> list[Finding]:
    """Revisions edited after they ran on the environment prod is promoted from: `plan`
    reports them there (exit 3), so promote refuses them too."""
    from nivomigrate import migrations

    source = ctx.settings.environment(ctx.environment).promoted_from
    return checksum.findings(
        ctx.chain, ledger.accepted_checksums(staging_conn),
        migrations.current_revision(staging_conn), source,
        executed=ledger.accepted_checksums(staging_conn, kinds=("apply", "promote", "baseline")))


def _projections(ctx: RunContext, conn: psycopg.Connection, passed_run) -> list:
    """Staging's measured statements of the pending revisions, projected onto prod's sizes."""
    from nivomigrate.checks import duration_budget

    if passed_run is None:
        return []
    return duration_budget.project(passed_run, {r.id for r in ctx.pending}, conn)


def _budget_findings(ctx: RunContext, projections: list) -> list[Finding]:
    from nivomigrate.checks import duration_budget
    from nivomigrate.policies.promotion import load_promotion_policy

    policy = load_promotion_policy(ctx.settings.policies_dir)
    files = {r.id: str(r.path) for r in ctx.pending}
    return duration_budget.findings(projections, policy, ctx.environment, files)


def _preflight(ctx: RunContext, conn, allow_drift: bool,
               allow_dirty: bool) -> tuple[list[Finding], SchemaDiff | None]:
    """Checksums, uncommitted files, then (unless those block) drift and what was allowed."""
    findings = checksum.findings(
        ctx.chain, ledger.applied_checksums(conn), ctx.current, ctx.environment,
        executed=ledger.accepted_checksums(conn, kinds=("apply", "promote", "baseline")))
    findings += dirty_tree.findings(ctx.git, blocking=not allow_dirty)
    allowed = None
    if ctx.current is None:
        return findings + unversioned_findings(ctx, conn), None
    if not any(f.is_blocking for f in findings):
        from nivomigrate.engine.resume import partial_finding

        partial = partial_finding(conn, ctx.settings.versions_dir, ctx.pending, ctx.environment)
        if partial is not None:  # a run stopped inside a revision: the re-run resumes it
            return findings + [partial], None
        difference = gate.drift_difference(ctx.settings, conn, ctx.current)
        findings += drift.findings_of(difference, ctx.current, ctx.environment,
                                      allowed=allow_drift)
        allowed = difference.drift if allow_drift and not difference.drift.is_empty else None
    return findings, allowed


def unversioned_findings(ctx: RunContext, conn: psycopg.Connection) -> list[Finding]:
    """Say what a database with no revision needs: `apply` (or promote) when it is empty,
    `baseline` when it has a schema that no revision of nivomigrate's made (Prisma's P3005),
    instead of reporting every table as drift."""
    from nivomigrate.engine.adoption import schema_objects

    objects = schema_objects(conn)
    environment = ctx.settings.environment(ctx.environment)
    return unversioned.findings(ctx.environment, objects, environment.promoted_from)


def _in(findings: list[Finding], environment: str) -> list[Finding]:
    from dataclasses import replace

    return [replace(f, environment=f.environment or environment) for f in findings]
