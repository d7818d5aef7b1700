"""The CLI starts fast and maps every failure to one line and an exit code."""

import subprocess
import sys

HEAVY = ("sqlalchemy", "psycopg", "alembic", "migra", "schemainspect")


def test_help_imports_no_heavy_library():
    code = ("import sys, nivomigrate.cli; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


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
