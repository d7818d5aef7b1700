"""Staging checks of policies/promotion.yaml run after apply: SQL assertions and commands."""

import psycopg

from nivomigrate import ledger
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
