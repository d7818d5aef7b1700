"""[fleets.<name>] in nivomigrate.toml: waves of environments promoted from one staging, the halt
rule, each mistake refused in one line (exit 2), and the fleet workflow's URL variables."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nivomigrate.config import load_settings
from nivomigrate.errors import ConfigError

ENVIRONMENTS = """
[environments.staging]
[environments.dev]
[environments.canary]
url_env = "CANARY_URL"
promoted_from = "staging"
[environments.eu]
url_env = "EU_URL"
promoted_from = "staging"
[environments.us]
url_env = "US_URL"
promoted_from = "staging"
[environments.qa]
promoted_from = "dev"
"""


def _settings(tmp_path, fleet: str, environ: dict | None = None):
    (tmp_path / "nivomigrate.toml").write_text(ENVIRONMENTS + "[fleets.prod]\n" + fleet)
    return load_settings(cwd=tmp_path, environ=environ or {})


def test_waves_and_halt_rule_are_read(tmp_path):
    fleet = _settings(tmp_path, 'waves = [["canary"], ["eu", "us"]]\nmax_failures = 1\n'
                      "soak_minutes = 15\nmax_parallel = 2\n").fleet("prod")
    assert fleet.waves == (("canary",), ("eu", "us"))
    assert (fleet.promoted_from, fleet.max_failures, fleet.soak_seconds, fleet.max_parallel) == (
        "staging", 1, 900, 2)
    assert fleet.targets == ("canary", "eu", "us")


def test_defaults_halt_at_the_first_failure_without_soak(tmp_path):
    fleet = _settings(tmp_path, 'waves = [["canary", "eu"]]\n').fleet("prod")
    assert (fleet.max_failures, fleet.soak_seconds, fleet.max_parallel) == (0, 0, 4)


@pytest.mark.parametrize(("fleet", "says"), [
    ('waves = [["canary"], ["mars"]]\n', "wave 2 names unknown environment 'mars'"),
    ('waves = [["canary"], ["eu", "canary"]]\n', "canary is in wave 1 and wave 2"),
    ('waves = [["canary"], []]\n', "wave 2 is empty"),
    ("waves = []\n", "waves must be a non-empty list"),
    ('waves = ["canary"]\n', "wave 1 must be a list of environment names"),
    ('waves = [["canary", "qa"]]\n', "promoted from the same environment"),
    ('waves = [["canary", "staging"]]\n', "staging from nothing"),
    ('waves = [["canary"]]\nmax_parallel = 0\n', "max_parallel must be at least 1"),
    ('waves = [["canary"]]\nmax_failures = -1\n', "max_failures must be at least 0"),
    ('waves = [["canary"]]\nsoak_minutes = 1\nsoak_seconds = 5\n', "not both"),
    ('waves = [["canary"]]\nretries = 3\n', "retries"),
])
def test_a_mistake_is_one_line_naming_it(tmp_path, fleet, says):
    with pytest.raises(ConfigError) as error:
        _settings(tmp_path, fleet)
    assert says in error.value.message and "[fleets.prod]" in error.value.message
    assert error.value.exit_code == 2 and "\n" not in error.value.message


def test_unknown_fleet_names_the_configured_ones(tmp_path):
    settings = _settings(tmp_path, 'waves = [["canary"]]\n')
    with pytest.raises(ConfigError) as error:
        settings.fleet("staging")
    assert "unknown fleet 'staging'" in error.value.message and "prod" in error.value.hint


def test_the_workflow_job_gives_its_one_target_url(tmp_path):
    environ = {"NIVOMIGRATE_FLEET_TARGET": "eu",
               "NIVOMIGRATE_FLEET_TARGET_URL": "postgresql://u:secret@eu/db"}
    settings = _settings(tmp_path, 'waves = [["canary"], ["eu"]]\n', environ)
    assert settings.environment("eu").url == "postgresql://u:secret@eu/db"
    assert "NIVOMIGRATE_FLEET_TARGET_URL" in settings.environment("eu").source
    assert settings.environment("canary").url is None
    assert "NIVOMIGRATE_FLEET_TARGET_URL" not in settings.command_environ


def test_the_plan_job_reads_every_target_from_one_dotenv_secret(tmp_path):
    environ = {"NIVOMIGRATE_FLEET_URLS": "CANARY_URL=postgresql://c@h/db\n"
                                         "EU_URL=postgresql://e@h/db\n",
               "EU_URL": "postgresql://own@h/db"}
    settings = _settings(tmp_path, 'waves = [["canary"], ["eu"]]\n', environ)
    assert settings.environment("canary").url == "postgresql://c@h/db"
    assert settings.environment("eu").url == "postgresql://own@h/db"  # its own variable wins
    assert "NIVOMIGRATE_FLEET_URLS" not in settings.command_environ


def test_cli_refuses_a_bad_fleet_with_exit_2_and_one_line(tmp_path):
    (tmp_path / "nivomigrate.toml").write_text(ENVIRONMENTS
                                               + '[fleets.prod]\nwaves = [["canary"], []]\n')
    done = subprocess.run([sys.executable, "-m", "nivomigrate", "fleet", "status", "prod"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "wave 2 is empty" in done.stderr
    assert "Traceback" not in done.stderr
