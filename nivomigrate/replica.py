"""Studio's read path: the read replica URL proven read-only, its role, and its replay lag.

`POSTGRES_READ_REPLICA_URL` is for studio's reads only, so its login user must be a member of
the read role (`studio_read` in services.yaml) and able to write nothing. `doctor` proves what
the URL reaches: a standby in recovery (nothing can write there) or at least a read-only
session, and on a standby how far replay is behind what it received ("caught up" when the
receive LSN equals the replay LSN).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

READ_REPLICA_VARIABLE = "POSTGRES_READ_REPLICA_URL"
_STATE_SQL = """
select pg_is_in_recovery(), current_setting('transaction_read_only'), current_user,
       pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text,
       pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::bigint,
       extract(epoch from now() - pg_last_xact_replay_timestamp())::float8
"""
# Tables of public the user may change (through any membership) and roles it belongs to.
_WRITES_SQL = """
select count(*) filter (where has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')),
       (select coalesce(array_agg(r.rolname order by r.rolname), '{}') from pg_roles r
        where r.rolname = any(%(roles)s) and pg_has_role(current_user, r.oid, 'MEMBER'))
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p')
"""


@dataclass(frozen=True)
class ReplicaState:
    """What the read replica URL reached."""

    in_recovery: bool
    read_only_session: bool
    user: str
    receive_lsn: str | None
    replay_lsn: str | None
    lag_bytes: int | None
    since_replay_s: float | None
    writable_tables: int
    member_of: tuple[str, ...]

    @property
    def is_read_only(self) -> bool:
        return self.in_recovery or self.read_only_session

    @property
    def lag(self) -> str:
        """`caught up`, `<n> bytes behind`, or `not a standby`."""
        if not self.in_recovery:
            return "not a standby"
        if self.receive_lsn is None:
            return "receives nothing (no WAL receiver)"
        if self.lag_bytes == 0:
            return f"caught up (replayed {self.replay_lsn})"
        return f"{self.lag_bytes} bytes behind (received {self.receive_lsn}, " \
               f"replayed {self.replay_lsn})"


def examine_replica(conn: psycopg.Connection, roles: list[str]) -> ReplicaState:
    """Read the replica's recovery state, session, lag, and what its user may do.

    Args:
        roles: the service roles of services.yaml, to name the ones the user belongs to.
    """
    (in_recovery, read_only, user, receive, replay, lag, since) = conn.execute(
        _STATE_SQL).fetchone()
    writable, member_of = conn.execute(_WRITES_SQL, {"roles": roles}).fetchone()
    return ReplicaState(bool(in_recovery), read_only == "on", user, receive, replay,
                        None if lag is None else int(lag), since, int(writable),
                        tuple(member_of))


def replica_rows_and_findings(settings) -> tuple[list[tuple[str, ...]], list]:
    """For each environment with a read replica URL: one report row and its findings.

    An unreachable replica is an ERROR finding (exit 4 when it blocks), not an exception.
    """
    from nivomigrate.db import Target, connect_read_replica
    from nivomigrate.errors import NivoError
    from nivomigrate.policies.services import load_service_map
    from nivomigrate.roles import service_roles

    roles = service_roles(load_service_map(settings.policies_dir))
    read_roles = [r.role for r in roles if r.read_only]
    rows, findings = [], []
    for name, environment in settings.environments.items():
        url = dict(environment.pooled_urls).get(READ_REPLICA_VARIABLE)
        if not url:
            continue
        target = Target(name, url, f"{READ_REPLICA_VARIABLE} of {name}")
        try:
            with connect_read_replica(target) as conn:
                state = examine_replica(conn, [r.role for r in roles])
        except NivoError as exc:
            findings.append(_finding(name, "the read replica cannot be examined: " + exc.message,
                                     exc.hint or "check the URL", exc.exit_code))
            rows.append((name, "unreachable", "-", "-", "-", "-"))
            continue
        rows.append(_row(name, state))
        findings += _state_findings(name, state, read_roles)
    return rows, findings


def _row(name: str, state: ReplicaState) -> tuple[str, ...]:
    reaches = ("standby in recovery" if state.in_recovery else
               "primary, read-only session" if state.read_only_session else "WRITABLE primary")
    return (name, reaches, state.user, ", ".join(state.member_of) or "none",
            f"{state.writable_tables} tables" if state.writable_tables else "nothing",
            state.lag)


def _state_findings(name: str, state: ReplicaState, read_roles: list[str]) -> list:
    found = []
    wanted = " or ".join(read_roles) or "the read role"
    if not state.is_read_only:
        found.append(_finding(name, f"{READ_REPLICA_VARIABLE} of {name} reaches a writable "
                              "primary in a writable session",
                              "point it at the read replica, or make its user's sessions "
                              f"read-only: ALTER ROLE {state.user} SET "
                              "default_transaction_read_only = on"))
    if state.writable_tables:
        found.append(_finding(name, f"{READ_REPLICA_VARIABLE} of {name} logs in as "
                              f"{state.user}, who may write {state.writable_tables} tables",
                              f"use a login user that is only a member of {wanted} "
                              "(docs/roles.md)"))
    elif read_roles and not set(read_roles) & set(state.member_of):
        found.append(_finding(name, f"{READ_REPLICA_VARIABLE} of {name} logs in as "
                              f"{state.user}, not a member of {wanted}",
                              f"GRANT {read_roles[0]} TO {state.user} (docs/roles.md)",
                              severity="warning"))
    return found


def _finding(name: str, message: str, help_text: str, exit_code: int = 1,
             severity: str = "error"):
    from nivomigrate.findings import Finding, Location, Severity

    return Finding(check="read-replica", severity=Severity(severity), message=message,
                   location=Location(object=name), help=help_text, environment=name,
                   exit_code=exit_code)
