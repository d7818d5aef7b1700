"""The way back of a revision (docs/rollback.md): its downgrade proven on staging's data (the
way-back certificate) or on a copy of the schema in the shadow server (the merge gate), and
what it loses. Returns data and never prints.

On staging the downgrade runs inside one REPEATABLE READ transaction that is rolled back, so
staging is never at the older revision for anyone else (it holds the downgrade's locks on the
tables it changes until the rollback). A downgrade that cannot run in a transaction (CREATE
INDEX CONCURRENTLY) is proven in the shadow server instead: up, down, the schema compared
with the previous revision's template, up again; rows are then not compared.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.table_data import Table, count_and_checksum, filled_values, table_shapes

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.config import Settings
    from nivomigrate.migrations import Revision
    from nivomigrate.snapshot import SchemaDiff

PROVEN, LOSSY, ONE_WAY = "proven", "lossy", "one-way"
ON_STAGING = "staging, in a rolled-back transaction"
IN_SHADOW = "shadow server, schema only"


@dataclass(frozen=True)
class Certificate:
    """What a revision's downgrade does: `verdict` proven, lossy (with `losses`) or one-way
    (with `reason`), and where it was found (`method`)."""

    revision: str
    down_revision: str | None
    verdict: str
    method: str
    losses: tuple[str, ...] = ()
    reason: str | None = None
    declared: bool = False
    tables_compared: int = 0
    counted_only: tuple[str, ...] = ()
    lossy_tables: tuple[str, ...] = ()
    duration_s: float = 0.0

    def to_json(self) -> dict:
        """The shape the ledger and JSON reports keep (docs/json-report.md)."""
        return {"revision": self.revision, "down_revision": self.down_revision,
                "verdict": self.verdict, "method": self.method, "losses": list(self.losses),
                "reason": self.reason, "declared": self.declared,
                "tables_compared": self.tables_compared, "counted_only": list(self.counted_only),
                "lossy_tables": list(self.lossy_tables),
                "duration_s": round(self.duration_s, 3)}

    @classmethod
    def from_json(cls, item: dict) -> Certificate:
        return cls(item["revision"], item.get("down_revision"), item["verdict"],
                   item.get("method", ""), tuple(item.get("losses") or ()), item.get("reason"),
                   bool(item.get("declared")), int(item.get("tables_compared") or 0),
                   tuple(item.get("counted_only") or ()), tuple(item.get("lossy_tables") or ()),
                   float(item.get("duration_s") or 0))

    @property
    def summary(self) -> str:
        """One line: the verdict and what it rests on."""
        if self.verdict == ONE_WAY:
            return f"one-way: {self.reason}"
        if self.verdict == LOSSY:
            return "lossy: loses " + "; ".join(self.losses)
        if self.method == IN_SHADOW:
            return "proven on the schema (rows not compared: the downgrade runs outside a " \
                "transaction)"
        return f"proven: schema restored, {self.tables_compared} table(s) with equal rows"


@dataclass(frozen=True)
class Proof:
    """A downgrade tried in the shadow server: the error it raised, or the differences of the
    schema after it from the previous revision's, and after up again from the revision's."""

    revision: str
    error: str | None = None
    after_down: SchemaDiff | None = None
    after_up: SchemaDiff | None = None

    @property
    def is_proven(self) -> bool:
        return self.error is None and self.after_down is not None and \
            self.after_down.is_empty and self.after_up is not None and self.after_up.is_empty

    @property
    def failure(self) -> str:
        """Why the downgrade is not a way back, in one sentence ("" when proven)."""
        if self.error:
            return f"its downgrade fails: {self.error}"
        if self.after_down is not None and not self.after_down.is_empty:
            return ("its downgrade does not restore the previous schema: "
                    + self.after_down.summary("the previous revision", "after the downgrade"))
        if self.after_up is not None and not self.after_up.is_empty:
            return ("upgrading again after its downgrade gives another schema: "
                    + self.after_up.summary("the revision", "after down and up"))
        return ""


def one_way_reason(settings: Settings, revision: Revision) -> str | None:
    """Return the revision's declared `one_way = "why"`, None when it declares none."""
    script = migrations.script_directory(settings.versions_dir).get_revision(revision.id)
    reason = getattr(script.module, "one_way", None)
    return str(reason).strip() or None if reason else None


# --- the shadow server: the merge gate's proof ------------------------------------------------

_proofs: dict[tuple, Proof] = {}


def prove_in_shadow(settings: Settings, revisions: list[Revision],
                    server=None) -> dict[str, Proof]:
    """Prove the downgrades of `revisions` (newest first) in the shadow server, on one copy
    of the newest one's template: for each, down, the schema compared with its parent's
    template, up, compared with its own, then down again to reach the next. After a failure
    (or a gap in the chain) the rest start on a new copy. Proofs are kept per set of
    checksums for the process, and a proven one in the cache folder too (`ProvenStore`), so
    a revision is proven once per content and server version. Returns revision id -> proof."""
    from nivomigrate.engine.build import schema_at, shadow_server
    from nivomigrate.snapshot import SchemaDiff

    chain = migrations.revisions(settings.versions_dir)

    def key(revision: Revision) -> tuple:
        return tuple(r.file_checksum for r in migrations.up_to(chain, revision.id))

    todo = [revision for revision in revisions if key(revision) not in _proofs]
    if todo:
        server = server or shadow_server(settings)
        store = ProvenStore.of(settings, server)
        for revision in todo:
            if store.is_proven(key(revision)):
                _proofs[key(revision)] = Proof(revision.id, after_down=SchemaDiff(),
                                               after_up=SchemaDiff())
        todo = [revision for revision in todo if key(revision) not in _proofs]
    while todo:
        with schema_at(settings, todo[0].id, server) as target:
            made = _prove_run(settings, todo, target, server)
        for revision, proof in zip(todo, made, strict=False):
            _proofs[key(revision)] = proof
            if proof.is_proven:
                store.keep(key(revision))
        todo = todo[len(made):]
    return {revision.id: _proofs[key(revision)] for revision in revisions}


@dataclass(frozen=True)
class ProvenStore:
    """The downgrades proven in a shadow server, kept in the cache folder (`proofs/`) under
    what a proof depends on: the checksums of the revisions up to it, the platform's copy it
    was built on, the role and the server's version (`nivomigrate.cache`).

    Only proofs that passed are kept; a failure is proven again next time, as it may depend
    on the moment (a lock, a full disk).
    """

    folder: Path | None
    context: tuple

    @classmethod
    def of(cls, settings: Settings, server) -> ProvenStore:
        from nivomigrate import shadow

        folder = settings.shadow_cache_dir / "proofs" if settings.shadow_cache_dir else None
        return cls(folder, ("proof", shadow.server_version(server.admin_url),
                            shadow.login_role(server.admin_url), server.platform_template))

    def is_proven(self, checksums: tuple) -> bool:
        from nivomigrate import cache

        return cache.kept(self.folder, [*self.context, *checksums]) is True

    def keep(self, checksums: tuple) -> None:
        from nivomigrate import cache

        cache.keep(self.folder, [*self.context, *checksums], True)


def _prove_run(settings: Settings, revisions: list[Revision], target, server) -> list[Proof]:
    """Prove `revisions` one after the other on `target`; stop after the first failure or
    gap in the chain. Returns the proofs made, in order."""
    from nivomigrate.db import sqlalchemy_engine
    from nivomigrate.redaction import redact

    proofs: list[Proof] = []
    engine = sqlalchemy_engine(target, writes=True)
    try:
        with engine.connect() as conn:
            for index, revision in enumerate(revisions):
                try:
                    proof = _down_and_up(settings, revision, conn, target, server)
                except Exception as exc:  # the revision's own code: any error is its failure
                    reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines()
                              or [""])[0]
                    proof = Proof(revision.id,
                                  error=redact(f"{type(exc).__name__}: {reason}"[:300]))
                proofs.append(proof)
                following = revisions[index + 1] if index + 1 < len(revisions) else None
                if not proof.is_proven or following is None or \
                        following.id != revision.down_revision:
                    break
                migrations.downgrade(settings.versions_dir, conn, revision.down_revision)
                conn.commit()
    finally:
        engine.dispose()
    return proofs


def _down_and_up(settings: Settings, revision: Revision, conn, target, server) -> Proof:
    from nivomigrate.db import connection
    from nivomigrate.engine.build import snapshot_at
    from nivomigrate.snapshot import compare, take_snapshot

    migrations.downgrade(settings.versions_dir, conn, revision.down_revision or "base")
    conn.commit()
    with connection(target, writes=False) as reader:
        after_down = compare(snapshot_at(settings, revision.down_revision, server),
                             take_snapshot(reader))
    if not after_down.is_empty:
        return Proof(revision.id, after_down=after_down)
    migrations.upgrade(settings.versions_dir, conn, revision.id)
    conn.commit()
    with connection(target, writes=False) as reader:
        after_up = compare(snapshot_at(settings, revision.id, server), take_snapshot(reader))
    return Proof(revision.id, after_down=after_down, after_up=after_up)


# --- staging: the certificate ---------------------------------------------------------------


@dataclass
class _Limits:
    max_checksum_rows: int
    counted_only: list[str] = field(default_factory=list)


def certify(settings: Settings, conn: psycopg.Connection, revisions: list[Revision],
            say=lambda message: None) -> list[Certificate]:
    """Make the certificates of `revisions` (applied, in order; `conn` is at the last one),
    newest first: on staging while the downgrades can run in a transaction, else in the
    shadow server."""
    from nivomigrate.engine.build import snapshot_at
    from nivomigrate.policies.promotion import load_promotion_policy

    limits = _Limits(load_promotion_policy(settings.policies_dir).max_checksum_rows)
    newest_first = list(reversed(revisions))
    for revision in newest_first:  # built before staging's tables are locked, not while
        snapshot_at(settings, revision.down_revision)
    certificates: list[Certificate] = []
    with conn.transaction(force_rollback=True):
        conn.execute("set transaction isolation level repeatable read")
        for revision in newest_first:
            certificate = _on_staging(settings, conn, revision, limits, say)
            if certificate is None:
                break
            certificates.append(certificate)
            if certificate.verdict == ONE_WAY:
                break
            _execute(conn, migrations.render_downgrade(settings.versions_dir, revision))
    rest = newest_first[len(certificates):]
    if rest:
        say(f"{', '.join(r.id for r in rest)}: proving the downgrades in the shadow server")
        certificates += _in_shadow(settings, rest)
    return certificates


def _on_staging(settings: Settings, conn, revision: Revision, limits: _Limits,
                say) -> Certificate | None:
    """The certificate of `revision` made on staging's data; None when its downgrade cannot
    run in a transaction (or reads the live database)."""
    reason = one_way_reason(settings, revision)
    if reason:
        return Certificate(revision.id, revision.down_revision, ONE_WAY, "declared",
                           reason=reason, declared=True)
    try:
        steps = migrations.render_downgrade(settings.versions_dir, revision)
    except Exception as exc:
        return _found_one_way(revision, f"its downgrade does not render: "
                              f"{type(exc).__name__}: {exc}"[:300])
    if any(step.kind != "transaction" for step in steps):
        return None
    say(f"{revision.id}: proving its downgrade on staging's data (rolled back)")
    return _compare_on_staging(settings, conn, revision, steps, limits)


def _compare_on_staging(settings: Settings, conn, revision: Revision, steps,
                        limits: _Limits) -> Certificate:
    import psycopg

    from nivomigrate.engine.build import snapshot_at
    from nivomigrate.snapshot import compare, take_snapshot

    started = time.perf_counter()
    before = table_shapes(conn)
    conn.execute("savepoint nivomigrate_way_back")
    try:
        _execute(conn, steps)
    except psycopg.Error as exc:
        conn.execute("rollback to savepoint nivomigrate_way_back")
        return _found_one_way(revision, "its downgrade fails on staging: "
                              + (str(exc).strip().splitlines() or [""])[0][:300])
    difference = compare(snapshot_at(settings, revision.down_revision), take_snapshot(conn))
    after = table_shapes(conn)
    kept = {table: tuple(c for c in after[table].columns if c in before[table].columns)
            for table in after if table in before}
    downgraded = {table: _read(conn, table, columns, before[table].estimated_rows, limits)
                  for table, columns in kept.items()}
    conn.execute("rollback to savepoint nivomigrate_way_back")
    losses, lossy_tables = _losses(conn, before, after, kept, downgraded, limits)
    elapsed = time.perf_counter() - started
    if not difference.is_empty:
        return replace(_found_one_way(revision, "its downgrade does not restore the previous "
                                      "schema: " + difference.summary(
                                          "the previous revision", "after the downgrade")),
                       method=ON_STAGING, duration_s=elapsed)
    return Certificate(revision.id, revision.down_revision, LOSSY if losses else PROVEN,
                       ON_STAGING, tuple(losses), tables_compared=len(kept),
                       counted_only=tuple(sorted(set(limits.counted_only))),
                       lossy_tables=tuple(sorted(lossy_tables)), duration_s=elapsed)


def _read(conn, table: Table, columns: tuple[str, ...], estimate: int,
          limits: _Limits) -> tuple[int, str | None]:
    small = estimate <= limits.max_checksum_rows
    if not small:
        limits.counted_only.append(str(table))
    return count_and_checksum(conn, table, columns, with_checksum=small)


def _losses(conn, before, after, kept, downgraded, limits) -> tuple[list[str], set[str]]:
    """What the upgraded tables hold that the downgraded ones do not (`conn` is upgraded)."""
    losses: list[str] = []
    lossy: set[str] = set()
    for table in sorted(set(before) - set(after), key=str):
        rows, _ = count_and_checksum(conn, table, (), with_checksum=False)
        if rows:
            losses.append(f"table {table} ({rows} rows)")
            lossy.add(str(table))
    for table, columns in sorted(kept.items(), key=lambda item: str(item[0])):
        dropped = tuple(c for c in before[table].columns if c not in columns)
        for column, values in filled_values(conn, table, dropped).items():
            if values:
                losses.append(f"column {table}.{column} ({values} values)")
                lossy.add(str(table))
        rows, checksum = _read(conn, table, columns, before[table].estimated_rows, limits)
        down_rows, down_checksum = downgraded[table]
        if rows != down_rows:
            losses.append(f"rows of {table} ({rows} before the downgrade, {down_rows} after)")
            lossy.add(str(table))
        elif checksum != down_checksum:
            losses.append(f"values of {table} (its kept columns differ after the downgrade)")
            lossy.add(str(table))
        restored = [c for c in after[table].columns if c not in before[table].columns]
        if restored and rows:
            losses.append(f"column {table}.{', '.join(restored)} comes back without the values "
                          "the upgrade dropped")
            lossy.add(str(table))
    return losses, lossy


def _found_one_way(revision: Revision, reason: str) -> Certificate:
    from nivomigrate.redaction import redact

    return Certificate(revision.id, revision.down_revision, ONE_WAY, ON_STAGING,
                       reason=redact(reason))


def _execute(conn, steps) -> None:
    for step in steps:
        for statement in step.statements:
            conn.execute(statement)  # no parameters: psycopg sends the text as it is


def _in_shadow(settings: Settings, revisions: list[Revision]) -> list[Certificate]:
    """The certificates of `revisions` (newest first) proven on the schema alone."""
    started = time.perf_counter()
    declared = {r.id: one_way_reason(settings, r) for r in revisions}
    proofs = prove_in_shadow(settings, [r for r in revisions if not declared[r.id]])
    elapsed = (time.perf_counter() - started) / max(1, len(proofs))
    certificates = []
    for revision in revisions:
        if declared[revision.id]:
            certificates.append(Certificate(revision.id, revision.down_revision, ONE_WAY,
                                            "declared", reason=declared[revision.id],
                                            declared=True))
            continue
        proof = proofs[revision.id]
        certificates.append(Certificate(
            revision.id, revision.down_revision, PROVEN if proof.is_proven else ONE_WAY,
            IN_SHADOW, reason=proof.failure or None, duration_s=elapsed))
    return certificates


# --- reports ----------------------------------------------------------------------------------


def certify_run(ctx, conn, run_id: int | None, applied: list, report, progress):
    """Make, record (ledger: nivomigrate.certificates) and report the certificates of the
    revisions an apply run applied; the report unchanged when nothing was applied or the
    run did not pass."""
    from nivomigrate import certificates
    from nivomigrate.checks import one_way

    if run_id is None or not applied or report.is_blocked:
        return report
    revisions = [a.revision for a in applied]
    with progress.step(f"proving the way back of {', '.join(r.id for r in revisions)}"):
        made = certify(ctx.settings, conn, revisions, progress.say)
    certificates.record(conn, run_id, ctx.environment, [c.to_json() for c in made])
    findings = one_way.certificate_findings(made, ctx.environment,
                                            {r.id: r for r in revisions})
    return with_certificates(report, [c.to_json() for c in made], findings)


def with_certificates(report, items: list[dict], findings=()):
    """Return `report` with the certificates as a section and as `data.way_back`."""
    report.data["way_back"] = items
    return replace(report, findings=report.findings + tuple(findings),
                   sections=report.sections + (certificate_section(items),))


def certificate_section(items: list[dict], title: str = "Way back: the downgrade's certificate"):
    """The certificates as a report table: revision, verdict, where proven, losses or why."""
    from nivomigrate.findings import Section

    certificates = [Certificate.from_json(item) for item in items]
    rows = tuple((c.revision, c.verdict, c.method,
                  "; ".join(c.losses) or c.reason or "nothing") for c in certificates)
    return Section(title, ("revision", "verdict", "proven on", "loses / why"), rows)


def merge_gate_findings(settings: Settings) -> list:
    """The merge gate's one-way check of every revision: proven in the shadow server, or
    declared one-way."""
    from nivomigrate.checks import one_way
    from nivomigrate.engine.build import shadow_server

    chain = migrations.revisions(settings.versions_dir)
    declared = {r.id: one_way_reason(settings, r) for r in chain}
    undeclared = [r for r in reversed(chain) if not declared[r.id]]
    proofs = prove_in_shadow(settings, undeclared, shadow_server(settings)) if undeclared \
        else {}
    findings = []
    for revision in chain:
        findings += one_way.gate_findings(revision, proofs.get(revision.id),
                                          declared[revision.id])
    return findings


def run_downgrade(settings: Settings, conn, revision: Revision) -> None:
    """Run `revision`'s downgrade on `conn` (autocommit; a transactional step commits as a
    whole, with alembic_version moved to the parent in the last one; a live downgrade runs
    through alembic on the same session)."""
    steps = migrations.render_downgrade(settings.versions_dir, revision)
    if any(step.kind == "live" for step in steps):
        _downgrade_live(settings, conn, revision)
        return
    for step in steps:
        if step.kind == "transaction":
            with conn.transaction():
                _execute(conn, (step,))
        else:
            _execute(conn, (step,))
    with conn.transaction():
        conn.execute("DELETE FROM alembic_version")
        if revision.down_revision:
            conn.execute("INSERT INTO alembic_version (version_num) VALUES (%s)",
                         (revision.down_revision,))


def _downgrade_live(settings: Settings, conn, revision: Revision) -> None:
    import sqlalchemy
    from sqlalchemy.pool import StaticPool

    conn.autocommit = False
    try:
        engine = sqlalchemy.create_engine("postgresql+psycopg://", creator=lambda: conn,
                                          poolclass=StaticPool)
        with engine.connect() as connection:
            migrations.downgrade(settings.versions_dir, connection,
                                 revision.down_revision or "base")
            if connection.in_transaction():
                connection.commit()
    finally:
        if not (conn.broken or conn.closed):
            conn.rollback()
            conn.autocommit = True
