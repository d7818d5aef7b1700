"""[fleets.<name>] in nivomigrate.toml: waves of environments promoted from one staging, the halt
rule, each mistake refused in one line (exit 2), and the fleet workflow's URL variables."""

from __future__ import annotations

import pytest

from nivomigrate.config import load_settings
from nivomigrate.errors import ConfigError
from tests import forked_cli

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
    done = forked_cli.run("fleet", "status", "prod", cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and "wave 2 is empty" in done.stderr
    assert "Traceback" not in done.stderr


def _report(folder, name: str, verdict: str, exit_code: int) -> None:
    import json

    (folder / name).write_text(json.dumps({"verdict": verdict, "data": {"exit_code": exit_code}}))


def test_gate_counts_a_missing_or_blocked_report_as_failed_and_soaks_only_when_it_passes(
        tmp_path):
    import json

    from nivomigrate.steps.fleet import gate_wave

    settings = _settings(tmp_path, 'waves = [["canary"], ["eu", "us"]]\nmax_failures = 1\n'
                         "soak_seconds = 30\n")
    reports = tmp_path / "reports"
    reports.mkdir()
    waves = [{"include": [{"target": "canary", "url-env": "CANARY_URL"}]},
             {"include": [{"target": "eu", "url-env": "EU_URL"},
                          {"target": "us", "url-env": "US_URL"}]}]
    (reports / "fleet-plan.json").write_text(json.dumps({"data": {"matrix": {"waves": waves}}}))
    slept: list[float] = []
    missing = gate_wave(settings, "prod", 2, reports, sleep=slept.append)
    assert missing.exit_code == 0 and slept == [30]  # one failure allowed: the canary's
    assert missing.data["failed"] == ["canary"]
    _report(reports, "promote-canary.json", "blocked", 1)
    _report(reports, "promote-eu.json", "pass", 0)
    assert gate_wave(settings, "prod", 2, reports, sleep=slept.append).exit_code == 0
    slept.clear()
    with pytest.raises(ConfigError):
        gate_wave(settings, "prod", 3, reports, sleep=slept.append)  # no wave 3
    settings = _settings(tmp_path, 'waves = [["canary"], ["eu"], ["us"]]\nsoak_seconds = 30\n')
    waves = [waves[0], {"include": waves[1]["include"][:1]}, {"include": waves[1]["include"][1:]}]
    (reports / "fleet-plan.json").write_text(json.dumps({"data": {"matrix": {"waves": waves}}}))
    halted = gate_wave(settings, "prod", 3, reports, sleep=slept.append)
    assert halted.exit_code == 1 and slept == []
    assert {f.check for f in halted.findings} == {"fleet-halt"}
    assert halted.data["failed"] == ["canary"]  # us has no report, but is in wave 3
