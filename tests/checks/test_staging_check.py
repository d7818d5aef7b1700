"""Staging checks of policies/promotion.yaml run after apply: SQL assertions and commands."""

import os

import psycopg

from nivomigrate import ledger
from nivomigrate.config import load_settings
from nivomigrate.progress import Progress
from nivomigrate.steps.apply import apply_environment


def _with_checks(project, checks: str) -> None:
    policy = project.root / "policies" / "promotion.yaml"
    policy.write_text(policy.read_text().replace("staging_checks:\n", "staging_checks:\n"
                                                 + checks, 1))


def _apply(project):
    return apply_environment(project.settings(), "staging", progress=Progress(quiet=True))


def test_failing_sql_assertion_fails_the_run(project):
    project.add_revision()
    _with_checks(project, '  - name: the nickname column exists\n'
                          '    sql: select count(*) from "Device" where "nickname" is null\n'
                          '    expect: "0"\n')
    assert _apply(project).exit_code == 0
    _with_checks(project, '  - name: no device at all\n'
                          '    sql: select count(*) from "Device"\n'
                          '    expect: "1"\n')
    report = _apply(project)
    assert report.exit_code == 1
    assert any("'no device at all' failed: returned 0, expected '1'" in f.message
               for f in report.findings)
    with psycopg.connect(project.urls["staging"]) as conn:
        assert ledger.runs(conn)[0].status == "failed"


def test_commands_get_staging_and_never_another_environments_url(project):
    project.add_revision()
    _with_checks(project, '  - name: smoke test sees only staging\n'
                          '    command: test -z "$PROD_POSTGRES_URL_NON_POOLING" && '
                          'psql "$DATABASE_URL" -Atc "select current_database()" > smoke.out\n')
    report = _apply(project)
    assert report.exit_code == 0, report.findings
    ran_on = (project.root / "smoke.out").read_text().strip()
    assert ran_on == project.urls["staging"].rsplit("/", 1)[1]


def test_failing_command_fails_the_run(project):
    project.add_revision()
    _with_checks(project, '  - name: smoke test\n    command: echo broken >&2; exit 3\n')
    report = _apply(project)
    assert report.exit_code == 1
    assert any("'smoke test' failed: exit code 3: broken" in f.message for f in report.findings)


SEED_STAGING = """
insert into "SystemConfiguration" (id, category, key, "updatedAt")
select 'c' || g, 'general', 'k' || g, now() from generate_series(1, 5) g
"""


def _rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute('select count(*) from "SystemConfiguration"').fetchone()[0]


def test_sql_checks_cannot_write_to_staging(project):
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute(SEED_STAGING)
    project.add_revision()
    _with_checks(project, '  - name: commit escape\n'
                          '    sql: COMMIT; DELETE FROM "SystemConfiguration"; SELECT 1\n'
                          '    expect: "1"\n'
                          '  - name: writing CTE\n'
                          '    sql: with gone as (delete from "SystemConfiguration" returning 1)'
                          ' select count(*) from gone\n'
                          '    expect: "0"\n'
                          '  - name: read-write again\n'
                          '    sql: select set_config(\'transaction_read_only\', \'off\', true)\n'
                          '    expect: "off"\n')
    report = _apply(project)
    assert _rows(project.urls["staging"]) == 5
    failed = {f.message.split("'")[1]: f.message for f in report.findings
              if f.check == "staging-check" and f.is_blocking}
    assert set(failed) == {"commit escape", "writing CTE", "read-write again"}, failed
    assert "several statements" in failed["commit escape"]
    assert "read-only transaction" in failed["writing CTE"]
    assert report.exit_code == 1


def test_command_check_without_a_read_only_url_is_told_so(project):
    project.add_revision()
    _with_checks(project, '  - name: smoke test\n    command: "true"\n')
    report = _apply(project)
    assert report.exit_code == 0
    warning = next(f for f in report.findings if f.check == "staging-check")
    assert not warning.is_blocking and "which can write" in warning.message
    assert "read_only_url_env" in warning.help


def test_command_check_gets_the_read_only_roles_url(project, pg_admin_url):
    role = f"nivo_test_checks_reader_{os.getpid()}"  # one per test process
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f"drop role if exists {role}")
        conn.execute(f"create role {role} login password 'reader'")
        conn.execute(f"alter role {role} set default_transaction_read_only = on")
    try:
        toml = project.root / "nivomigrate.toml"
        toml.write_text(toml.read_text().replace(
            'url_env = "STAGING_POSTGRES_URL_NON_POOLING"\n',
            'url_env = "STAGING_POSTGRES_URL_NON_POOLING"\n'
            'read_only_url_env = "STAGING_READ_ONLY_URL"\n'))
        staging = project.urls["staging"]
        reader_url = staging.replace(staging.split("//", 1)[1].split("@", 1)[0],
                                     f"{role}:reader", 1)
        project.add_revision()
        _with_checks(project, '  - name: who runs the smoke test\n'
                              '    command: psql "$DATABASE_URL" -Atc '
                              '"select current_user || \' \' || '
                              'current_setting(\'default_transaction_read_only\')" > who.out\n')
        settings = load_settings(project_root=project.root,
                                 environ={**project.environ, "STAGING_READ_ONLY_URL": reader_url})
        report = apply_environment(settings, "staging", progress=Progress(quiet=True))
        assert report.exit_code == 0, report.findings
        assert (project.root / "who.out").read_text().split() == [role, "on"]
        assert not any(f.check == "staging-check" for f in report.findings)
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f"drop owned by {role}")
            conn.execute(f"drop role if exists {role}")
