"""live-readers: a contract revision promoted while a live build still reads what it removes.

Problem: the three services deploy on their own; a column dropped on prod while an old build of
ingest still selects it makes every such query fail ("column does not exist") until that build
is gone. The service map says what the code at one commit uses, not which builds are live.
Do instead: promote the expand, deploy every service, and let promote hold the contract
(`phase = "contract"`) until prod's evidence is clear for the policy's quiet period (`contract:
{quiet_minutes: 30}` in policies/promotion.yaml): no session of a service whose last statement
names what is removed (pg_stat_activity), no such statement whose calls rose within the quiet
period (pg_stat_statements), and the old builds' statements still PREPARE on staging after
the contract. `nivomigrate promote prod --until-clear --timeout 30m` waits for it; the only
way past is `--waive live-readers --reason "..."`, recorded in the ledger with who and why.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Section, Severity

if TYPE_CHECKING:
    from nivomigrate.engine.live_readers import LiveEvidence
    from nivomigrate.migrations import Revision

NAME = "live-readers"
_HELP = ("deploy the services without it and wait: `nivomigrate promote prod --until-clear "
         "--timeout 30m` promotes once the evidence is clear for the quiet period; only "
         '`--waive live-readers --reason "..."` goes past it, recorded in the ledger '
         "(docs/expand-contract.md)")


def findings(evidence: LiveEvidence, revision: Revision, quiet_minutes: float,
             environment: str) -> list[Finding]:
    """The blockers of one contract revision: live sessions reading it, statements seen within
    the quiet period, an unproven prod, and replay breaks of a service with a live build."""
    location = Location(str(revision.path), 1, revision.id)
    quiet = timedelta(minutes=quiet_minutes)
    builds = evidence.builds()
    found = [_session_finding(s, revision, location, environment)
             for s in evidence.sessions if s.names]
    recent = [s for s in evidence.statements
              if s.last_seen is None or evidence.read_at - s.last_seen < quiet or s.first_seen]
    found += [_statement_finding(s, builds, revision, location, environment, quiet_minutes)
              for s in recent]
    if not evidence.has_statements:
        found.append(Finding(
            NAME, Severity.ERROR if builds else Severity.WARNING,
            f"who read {', '.join(evidence.removed)} since the expand is unproven: "
            f"{evidence.statements_note}", location, environment=environment,
            help="CREATE EXTENSION pg_stat_statements (Supabase: in the extensions schema) and "
            "give the migration role pg_read_all_stats; " + _HELP,
            evidence=tuple(("service", f"{service}: {_builds_text(b)}")
                           for service, b in builds.items())))
    live = set(builds) | {s.service for s in recent if s.service}
    found += [_replay_finding(r, r.service in live, revision, location, environment)
              for r in evidence.replay if r.outcome == "break"]
    return found


def waived(found: list[Finding], actor: str, reason: str) -> list[Finding]:
    """Turn the live-readers ERRORs into INFO naming who waived them and why."""
    return [replace(f, severity=Severity.INFO, message=f"waived by {actor}: {f.message}",
                    evidence=(*f.evidence, ("waived by", actor), ("reason", reason)))
            if f.check == NAME and f.severity is Severity.ERROR else f for f in found]


def _session_finding(session, revision, location, environment) -> Finding:
    build = session.build or "(unnamed build)"
    return Finding(
        NAME, Severity.ERROR,
        f"{session.service}@{build} still reads {', '.join(session.names)}, which contract "
        f"{revision.id} removes: its last statement at {_time(session.last_statement_at)}",
        replace(location, object=f"{revision.id}:{session.service}@{build}"), help=_HELP,
        environment=environment,
        evidence=(("service", session.service), ("build", build),
                  ("statement", session.last_statement or ""),
                  ("last seen", _time(session.last_statement_at)),
                  ("connected since", _time(session.connected_since)),
                  ("login", session.login), ("pid", str(session.pid))))


def _statement_finding(statement, builds, revision, location, environment,
                       quiet_minutes: float) -> Finding:
    service = statement.service or f"role {statement.role}"
    live = builds.get(statement.service or "", [])
    if statement.last_seen is None:  # read once (plan): the view keeps no time of last call
        seen = "unknown: pg_stat_statements keeps no time; promote --until-clear watches it"
    elif statement.first_seen:
        seen = f"at or before {_time(statement.last_seen)} (first reading)"
    else:
        seen = _time(statement.last_seen)
    return Finding(
        NAME, Severity.ERROR,
        f"{service} ran a statement naming {', '.join(statement.names)} within the "
        f"{quiet_minutes:g}-minute quiet period of contract {revision.id}: last seen {seen}",
        replace(location, object=f"{revision.id}:{service}:{statement.queryid}"), help=_HELP,
        environment=environment,
        evidence=(("service", statement.service or "(no service)"), ("role", statement.role),
                  ("build", _builds_text(live) if live else "no build connected now"),
                  ("statement", statement.query), ("calls", str(statement.calls)),
                  ("last seen", seen)))


def _replay_finding(result, is_live: bool, revision, location, environment) -> Finding:
    service = result.service or f"role {result.role}"
    return Finding(
        NAME, Severity.ERROR if is_live else Severity.WARNING,
        f"{service}'s previous build breaks after contract {revision.id}: {result.error}"
        + ("" if is_live else " (no build of it is live on prod)"),
        replace(location, object=f"{revision.id}:{service}:replay"),
        help=_HELP, environment=environment,
        evidence=(("service", result.service or "(no service)"),
                  ("statement", result.statement), ("source", result.source),
                  ("replayed as", result.role if result.as_role else "the migration role")))


def evidence_section(evidence: LiveEvidence, revision: Revision, environment: str) -> Section:
    """The evidence as a table (plan and promote show it for each contract)."""
    rows = [("builds", service, _builds_text(b), "")
            for service, b in evidence.builds().items()]
    rows += [("session", f"{s.service}@{s.build or '?'}", ", ".join(s.names),
              _time(s.last_statement_at)) for s in evidence.sessions if s.names]
    rows += [("statement", s.service or s.role, s.query[:120], _time(s.last_seen))
             for s in evidence.statements]
    rows += [("replay", r.service or r.role or "", r.statement[:120],
              r.outcome + (f": {r.error}" if r.error else "")) for r in evidence.replay]
    notes = [n for n in (evidence.statements_note, evidence.replay_note) if n]
    since = (f"pg_stat_statements counts since {_time(evidence.stats_since)}"
             if evidence.stats_since else "")
    promoted = (f"; the expand was promoted at {_time(evidence.expand_promoted_at)}"
                if evidence.expand_promoted_at else "")
    return Section(
        f"{environment}: live readers of contract {revision.id} ({', '.join(evidence.removed)})",
        ("evidence", "who", "what", "last seen / outcome"), tuple(rows),
        text="; ".join([t for t in (since + promoted, *notes) if t]) or None)


def _builds_text(builds: list) -> str:
    return ", ".join(f"{build} since {_time(since)}" for build, since in builds)


def _time(moment) -> str:

    if moment is None:
        return "unknown"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
