"""Doctor: is each environment usable, and for which commands?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.db import check_url, connect, target_for
from nivomigrate.errors import NivoError, RefusedConnectionError, first_exit_code
from nivomigrate.findings import Finding, Location, Report, Section, Severity

if TYPE_CHECKING:
    from nivomigrate.config import Settings

_ROLE_SQL = """
select current_user,
       has_schema_privilege('public', 'CREATE'),
       (select count(*) from pg_tables where schemaname = 'public'),
       (select count(*) from pg_tables where schemaname = 'public'
          and pg_has_role(tableowner, 'USAGE')),
       current_setting('server_version_num')::int / 10000
"""


def examine(settings: Settings) -> Report:
    """Return, per environment: URL source, kind, answer, version, revision and privileges."""
    rows, findings, codes, majors = [], [], [], {}
    for name, environment in settings.environments.items():
        row, finding, code, major = _examine(environment)
        rows.append(row)
        majors[name] = major
        if finding:
            findings.append(finding)
            codes.append(code)
    shadow = _shadow_findings(settings, majors)
    findings += shadow
    codes += [4 for finding in shadow if finding.is_blocking]  # the shadow cannot be used
    return Report(
        command="doctor", title="nivomigrate doctor",
        sections=(Section("Environments", ("environment", "database", "url from", "kind",
                                           "answers", "server", "revision", "role may"),
                          tuple(rows)),),
        findings=tuple(findings), exit_code=first_exit_code(codes),
    )


def _examine(environment):
    database = "-"
    try:
        target = target_for(environment)
        url = check_url(target)
        database = f"{url.host}:{url.port}/{url.database}"
    except NivoError as exc:
        return ((environment.name, database, environment.source, "refused", "-", "-", "-", "-"),
                _finding(environment.name, exc), exc.exit_code, None)
    try:
        conn, read_only = _connect(target)
    except NivoError as exc:
        answers = "refused" if isinstance(exc, RefusedConnectionError) else "no"
        return ((environment.name, database, environment.source, "direct", answers, "-", "-",
                 "-"),
                _finding(environment.name, exc), exc.exit_code, None)
    with conn:
        user, can_create, tables, owned, major = conn.execute(_ROLE_SQL).fetchone()
        revision = migrations.current_revision(conn)
        version = conn.execute("show server_version").fetchone()[0]
    may = (f"{user}: {'create in public' if can_create else 'no CREATE in public'}, "
           f"owns {owned}/{tables} tables" + (", read-only session" if read_only else ""))
    kind = "direct, read-only (plan/diff/coverage only)" if read_only else "direct"
    return ((environment.name, database, environment.source, kind, "yes", version,
             revision or "none", may),
            None, 0, major)


def _connect(target):
    """Connect as a writing command would; a read-only session is retried as a reading one."""
    try:
        return connect(target, writes=True), False
    except RefusedConnectionError as exc:
        if "read-only" not in exc.message:
            raise
        return connect(target, writes=False), True


def _finding(name: str, exc: NivoError) -> Finding:
    return Finding(check="connection", severity=Severity.ERROR, message=exc.message,
                   location=Location(object=name), help=exc.hint, environment=name)


def _shadow_findings(settings: Settings, majors: dict) -> list[Finding]:
    from nivomigrate.engine.build import shadow_server
    from nivomigrate.shadow import admin_connection

    known = {m for m in majors.values() if m}
    try:
        server = shadow_server(settings, preferred_major=max(known) if known else None)
        with admin_connection(server.admin_url) as conn:
            major = int(conn.execute("show server_version_num").fetchone()[0]) // 10000
    except NivoError as exc:
        return [Finding("shadow", Severity.ERROR, f"the shadow server is not usable: {exc.message}",
                        Location(object="shadow"), exc.hint)]
    return [Finding("shadow", Severity.WARNING,
                    f"the shadow server runs PostgreSQL {major}, {name} runs {env_major}",
                    Location(object="shadow"),
                    "set NIVOMIGRATE_SHADOW_URL to a server of the same major version")
            for name, env_major in majors.items() if env_major and env_major != major]

