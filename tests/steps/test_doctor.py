"""doctor tells, per environment, where its URL came from, whether it answers and what the
role may do, and exits with the code of the first problem."""

import psycopg

from nivomigrate.steps.doctor import examine


def _row(report, name):
    return next(row for row in report.sections[0].rows if row[0] == name)


def test_usable_environments_exit_zero(project):
    report = examine(project.settings())
    assert report.exit_code == 0, report.findings
    staging = _row(report, "staging")
    assert staging[1].endswith("/" + project.urls["staging"].rsplit("/", 1)[1])
    assert staging[2] == "STAGING_POSTGRES_URL_NON_POOLING from the environment"
    assert staging[3] == "direct" and staging[4] == "yes"
    assert staging[6].isdigit()
    assert "create in public" in staging[7]


def test_read_only_session_is_said_and_usable_for_reading(project):
    with psycopg.connect(project.urls["prod"], autocommit=True) as conn:
        database = conn.info.dbname
        conn.execute(f'alter database "{database}" set default_transaction_read_only = on')
    report = examine(project.settings())
    assert "read-only" in _row(report, "prod")[3]
    assert report.exit_code == 0


def test_unreachable_and_pooled_environments_give_their_codes(project):
    environ = dict(project.environ)
    environ["STAGING_POSTGRES_URL_NON_POOLING"] = "postgresql://u:p%40ss@127.0.0.1:6543/db"
    environ["PROD_POSTGRES_URL_NON_POOLING"] = "postgresql://u:p%40ss@127.0.0.1:1/db"
    from nivomigrate.config import load_settings

    report = examine(load_settings(project_root=project.root, environ=environ))
    assert _row(report, "staging")[3] == "refused"
    assert _row(report, "prod")[4] == "no"
    assert report.exit_code == 2  # 2 wins over 4
    assert all("p%40ss" not in f.message and "p@ss" not in f.message for f in report.findings)
