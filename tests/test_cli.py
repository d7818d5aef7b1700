"""The CLI starts fast and maps every failure to one line and an exit code."""

import subprocess
import sys

import psycopg
import pytest

HEAVY = ("sqlalchemy", "psycopg", "alembic", "migra", "schemainspect")


def test_help_imports_no_heavy_library():
    code = ("import sys, nivomigrate.cli; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# What no command imports before it runs: SQL parsing (sqlglot, sqlparse) is the lint checks',
# alembic and SQLAlchemy the revision runner's, pydantic a typer 0.29 dependency (pinned out).
NOT_AT_IMPORT = ("sqlglot", "sqlparse", "sqlalchemy", "alembic", "pydantic", "yaml", "jsonschema")


@pytest.mark.parametrize("command", ["diff", "plan", "apply", "promote", "check", "status"])
def test_command_step_imports_no_parser_nor_orm(command):
    code = (f"import sys, nivomigrate.cli, nivomigrate.steps.{command}; "
            f"print([m for m in {NOT_AT_IMPORT!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_diff_run_imports_no_parser_orm_nor_pydantic(make_database, tmp_path):
    staging, production = make_database("nivo_startup"), make_database("nivo_startup")
    with psycopg.connect(staging, autocommit=True) as conn:
        conn.execute("create table t (id int primary key, a text); create index on t (a)")
    with psycopg.connect(production, autocommit=True) as conn:
        conn.execute("create table t (id int primary key, a text, b int)")
    # diff ends with os._exit (no atexit handler runs): the report is printed just before it
    code = ("import os, runpy, sys\n"
            "end = os._exit\n"
            "def report(status):\n"
            f"    print('imported:', [m for m in {NOT_AT_IMPORT!r} if m in sys.modules],"
            " file=sys.stderr, flush=True)\n"
            "    end(status)\n"
            "os._exit = report\n"
            "sys.argv = ['nivomigrate', 'diff', *sys.argv[1:]]\n"
            "runpy.run_module('nivomigrate', run_name='__main__')\n")
    result = subprocess.run([sys.executable, "-c", code, staging, production],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # they differ: the diff ran to its end
    assert 'add column "b" integer' in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "imported: []"


def test_help_lists_every_command():
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0
    for command in ("doctor", "plan", "apply", "promote", "diff", "coverage", "lint", "demo"):
        assert command in result.stdout


def test_unknown_environment_is_a_usage_error(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "status", "qa"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: unknown environment 'qa'")
    assert "Traceback" not in result.stderr


def test_unknown_config_key_is_a_usage_error(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("[environments.staging]\nurl = 'x'\n")
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "status"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "unknown key 'url'" in result.stderr


def test_missing_variable_names_it(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "status", "staging"],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "STAGING_POSTGRES_URL_NON_POOLING is not set" in result.stderr


def test_unreachable_shadow_server_is_one_line_without_its_password(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text('models = "models"\n')
    (tmp_path / "models.py").write_text("from sqlalchemy import MetaData\nmetadata = MetaData()\n")
    (tmp_path / "versions").mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
           "NIVOMIGRATE_SHADOW_URL": "postgresql://postgres:pa%40ss%23word9@127.0.0.1:1/postgres"}
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "check"],
                            capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith("error: could not connect to shadow")
    assert "Traceback" not in result.stderr
    assert "pa@ss" not in result.stderr and "pa%40ss" not in result.stderr
    assert "word9" not in result.stderr


def test_unknown_format_is_refused_before_any_work(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    result = subprocess.run([sys.executable, "-m", "nivomigrate", "apply", "staging", "-f", "jsn"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "use one of: terminal, json, markdown, github" in result.stderr


def _nivomigrate(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "nivomigrate", *args], capture_output=True,
                          text=True, cwd=cwd, env=env)


def test_version_prints_the_installed_version(tmp_path):
    from importlib.metadata import version

    result = _nivomigrate("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"nivomigrate {version('nivomigrate')}"


def test_shell_completion_completes_a_command(tmp_path):
    from pathlib import Path
    from shutil import which

    script = which("nivomigrate", path=str(Path(sys.executable).parent))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/bash"}
    shown = subprocess.run([script, "--show-completion"], capture_output=True, text=True,
                           env=env, cwd=tmp_path)
    assert shown.returncode == 0 and "complete -o default -F" in shown.stdout, shown.stderr
    completed = subprocess.run([script], capture_output=True, text=True, cwd=tmp_path, env={
        **env, "COMP_WORDS": "nivomigrate pro", "COMP_CWORD": "1",
        "_NIVOMIGRATE_COMPLETE": "complete_bash"})
    assert completed.stdout.split() == ["promote"]


def test_project_dotenv_is_read_and_a_misspelt_variable_is_named(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text("")
    (tmp_path / ".env").write_text(
        "STAGING_POSTGRES_URL_NON_POLING=postgresql://u:hunter2pw@127.0.0.1:1/x\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = _nivomigrate("status", "staging", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "did you mean STAGING_POSTGRES_URL_NON_POLING?" in result.stderr
    assert "hunter2pw" not in result.stderr


def test_project_dotenv_url_is_used(tmp_path):
    """A .env beside nivomigrate.toml is read by default: its URL is the one tried."""
    (tmp_path / "nivomigrate.toml").write_text("")
    (tmp_path / "versions").mkdir()
    (tmp_path / ".env").write_text(
        "STAGING_POSTGRES_URL_NON_POOLING=postgresql://u:hunter2pw@127.0.0.1:1/x\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = _nivomigrate("status", "staging", cwd=tmp_path, env=env)
    assert result.returncode == 4, result.stderr
    assert "127.0.0.1:1" in result.stderr and "hunter2pw" not in result.stderr


def test_diff_format_json_is_a_report(tmp_path, make_database):
    import json

    staging = make_database("nivo_cli_diff_staging")
    prod = make_database("nivo_cli_diff_prod")
    import psycopg

    with psycopg.connect(staging, autocommit=True) as conn:
        conn.execute("create table t (id int)")
    result = _nivomigrate("diff", prod, staging, "--format", "json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    assert document["command"] == "diff" and document["data"]["equal"] is False
    assert "create table" in document["data"]["sql"].lower()
