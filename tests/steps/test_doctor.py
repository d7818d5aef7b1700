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


def test_session_settings_and_privileges_are_listed_with_their_sources(project):
    from nivomigrate.config import load_settings
    from nivomigrate.urls import with_query

    environ = dict(project.environ)
    environ["STAGING_POSTGRES_URL_NON_POOLING"] = with_query(
        project.urls["staging"], options="-c search_path=app,public", connection_limit="1")
    report = examine(load_settings(project_root=project.root, environ=environ))
    settings = {(row[0], row[1]): (row[2], row[3]) for row in report.sections[1].rows}
    assert settings[("staging", "search_path")] == ("app,public", "the URL's options")
    assert settings[("staging", "lock_timeout")][1] == "[timeouts] lock_timeout_ms"
    assert settings[("staging", "application_name")][0].startswith("nivomigrate:")
    assert settings[("staging", "URL parameter connection_limit")][0] == "1"
    privileges = {(row[0], row[1]): row[2] for row in report.sections[2].rows}
    assert privileges[("prod", "CONNECT on the database")] == "yes"
    assert privileges[("prod", "ownership of the managed tables (public)")] == "owns them all"


def test_role_that_may_not_create_the_ledger_is_named_with_the_failing_command(project):
    import uuid
    from urllib.parse import urlsplit

    role = f"nivo_nocreate_{uuid.uuid4().hex[:6]}"
    database = project.urls["staging"].rsplit("/", 1)[1]
    with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
        conn.execute(f'create role "{role}" login password \'x\'')
        conn.execute(f'revoke create on database "{database}" from public')
    try:
        from nivomigrate.config import load_settings

        environ = {**project.environ,
                   "STAGING_POSTGRES_URL_NON_POOLING": project.urls["staging"].replace(
                       urlsplit(project.urls["staging"]).netloc.rsplit("@", 1)[0],
                       f"{role}:x", 1)}
        report = examine(load_settings(project_root=project.root, environ=environ))
        message = " ".join(f.message for f in report.findings if f.check == "privilege")
        assert f"role {role} lacks CREATE on the database" in message
        assert "CREATE SCHEMA nivomigrate would fail" in message
        assert report.exit_code == 1
    finally:
        with psycopg.connect(project.urls["staging"], autocommit=True) as conn:
            conn.execute(f'drop owned by "{role}"')
            conn.execute(f'drop role "{role}"')
