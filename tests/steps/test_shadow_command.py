"""The own shadow server is visible and tidy: a line when it starts, `shadow status|stop|prune`,
and templates of revisions no longer in the chain pruned once no process holds them."""

from __future__ import annotations

import shutil
from pathlib import Path

from nivomigrate import shadow
from nivomigrate.config import load_settings
from nivomigrate.engine.build import template_target
from nivomigrate.steps.shadow import prune_shadow, shadow_status, stop_shadow
from tests.test_shadow import cache_dir  # noqa: F401 - the fixture

REPO = Path(__file__).resolve().parents[2]


def _project(folder: Path, cache: Path) -> Path:
    folder.mkdir()
    (folder / "nivomigrate.toml").write_text(f'[shadow]\ncache_dir = "{cache}"\n')
    shutil.copytree(REPO / "versions", folder / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "policies", folder / "policies")
    return folder


def _settings(project: Path):
    return load_settings(cwd=project, environ={"PATH": "/usr/bin:/bin"})


def _valid(report):
    from nivomigrate.render.json import render_json
    from tests.report_schema import schema_errors

    assert schema_errors(render_json(report)) == []
    return report


def _templates(project: Path) -> dict[str, bool]:
    status = _valid(shadow_status(_settings(project)))
    return {t["name"]: t["in_chain"] for t in status.data["templates"]}


def test_own_server_is_announced_listed_pruned_and_stopped(tmp_path, cache_dir, capfd):  # noqa: F811
    project = _project(tmp_path / "project", cache_dir)
    settings = _settings(project)
    head = sorted(p.name for p in (project / "versions").glob("0*.py"))[-1]
    template_target(settings, head.split("_")[0])
    assert "started nivomigrate's own shadow server" in capfd.readouterr().err
    status = shadow_status(settings)
    assert status.data["server"]["running"] is True
    assert list(_templates(project).values()) == [True]

    # The head revision is edited: the old template stays while it may be in use (this
    # process holds it; another checkout may be at that revision) and was used today.
    edited = project / "versions" / head
    edited.write_text(edited.read_text() + "\n# edited\n")
    template_target(_settings(project), head.split("_")[0])
    assert sorted(_templates(project).values()) == [False, True]
    assert _valid(prune_shadow(_settings(project))).data["dropped"] == []

    # Once no process holds it, `shadow prune` drops it.
    shadow.release_templates()
    pruned = _valid(prune_shadow(_settings(project)))
    assert len(pruned.data["dropped"]) == 1
    assert list(_templates(project).values()) == [True]

    # The head revision goes away: its template is no longer in the chain; prune drops it.
    edited.unlink()
    assert list(_templates(project).values()) == [False]
    pruned = _valid(prune_shadow(_settings(project)))
    assert len(pruned.data["dropped"]) == 1 and _templates(project) == {}

    assert _valid(stop_shadow(_settings(project))).data["stopped"] is True
    assert shadow_status(_settings(project)).data["server"]["running"] is False
    assert stop_shadow(_settings(project)).data["stopped"] is False


def test_a_configured_shadow_server_is_not_stopped(tmp_path, canary_admin_url):
    import pytest

    from nivomigrate.errors import ConfigError

    (tmp_path / "nivomigrate.toml").write_text("")
    (tmp_path / "versions").mkdir()
    settings = load_settings(cwd=tmp_path, environ={"NIVOMIGRATE_SHADOW_URL": canary_admin_url})
    with pytest.raises(ConfigError):
        stop_shadow(settings)
    assert shadow_status(settings).data["server"] == {"kind": "configured"}
