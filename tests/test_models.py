"""The models come from the project's folder (`models = "package.module"`), never site-packages."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import nivomigrate
from nivomigrate.config import load_settings
from nivomigrate.errors import ConfigError
from nivomigrate.models import load_metadata

REPO = Path(__file__).resolve().parent.parent
MODELS = """
from sqlalchemy import Column, Integer, MetaData, Table

metadata = MetaData()
Table("thing", metadata, Column("id", Integer, primary_key=True))
"""


def _settings(root: Path, config: str = ""):
    (root / "nivomigrate.toml").write_text(config)
    return load_settings(project_root=root, environ={})


def test_models_key_names_a_module_of_the_project(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)

    metadata = load_metadata(_settings(tmp_path, 'models = "app.models"\n'))

    assert list(metadata.tables) == ["thing"]
    assert "app" not in sys.modules and "app.models" not in sys.modules


def test_nivostack_models_are_the_repositorys_own_package_not_the_tools(tmp_path):
    shutil.copytree(REPO / "nivostack_models", tmp_path / "nivostack_models",
                    ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "nivostack_models" / "__init__.py").open("a") as models:
        models.write("from sqlalchemy import Column, Integer, Table\n"
                     'Table("ProjectNote", metadata, Column("id", Integer, primary_key=True))\n')

    metadata = load_metadata(_settings(tmp_path, 'models = "nivostack_models"\n'))

    assert "ProjectNote" in metadata.tables and "Project" in metadata.tables
    assert not (Path(nivomigrate.__file__).parent / "schema" / "control.py").exists()


def test_no_models_key_is_refused_naming_the_key(tmp_path):
    with pytest.raises(ConfigError, match="nivomigrate.toml has no `models =`") as e:
        load_metadata(_settings(tmp_path))
    assert 'models = "package.module"' in e.value.hint


def test_missing_module_is_refused_with_the_key_to_set(tmp_path):
    with pytest.raises(ConfigError, match="the models module app.models is not in") as e:
        load_metadata(_settings(tmp_path, 'models = "app.models"\n'))
    assert 'models = "package.module"' in e.value.hint


def test_module_without_metadata_is_refused(tmp_path):
    (tmp_path / "models.py").write_text("x = 1\n")
    with pytest.raises(ConfigError, match="has no `metadata`"):
        load_metadata(_settings(tmp_path, 'models = "models"\n'))


def test_module_that_fails_to_import_is_refused_naming_the_error(tmp_path):
    (tmp_path / "models.py").write_text("import not_a_module_anywhere\n")
    with pytest.raises(ConfigError, match="fails to import: ModuleNotFoundError"):
        load_metadata(_settings(tmp_path, 'models = "models"\n'))


@pytest.mark.parametrize("value", ['"app/models.py"', '"app..models"', "3"])
def test_models_key_must_be_a_module_name(tmp_path, value):
    with pytest.raises(ConfigError, match="models must be"):
        _settings(tmp_path, f"models = {value}\n")


def test_check_sees_a_model_edited_after_a_non_editable_install(tmp_path, canary_admin_url):
    installed = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(installed), str(REPO)], check=True, capture_output=True, timeout=600)
    project = tmp_path / "project"
    shutil.copytree(REPO / "versions", project / "versions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "nivomigrate.toml", project / "nivomigrate.toml")
    shutil.copytree(REPO / "nivostack_models", project / "nivostack_models",
                    ignore=shutil.ignore_patterns("__pycache__"))
    # the wheel holds no models package of its own, only the demo's project copy
    assert not (installed / "nivostack_models").exists()
    assert (installed / "nivomigrate" / "_project" / "nivostack_models" / "control.py").is_file()
    environ = {**os.environ, "PYTHONPATH": str(installed),
               "NIVOMIGRATE_SHADOW_URL": canary_admin_url}
    imported = subprocess.run([sys.executable, "-P", "-c", "import nivomigrate; "
                               "print(nivomigrate.__file__)"], cwd=project, env=environ,
                              capture_output=True, text=True, check=True)
    assert imported.stdout.startswith(str(installed / "nivomigrate")), imported.stdout

    def nivomigrate_check() -> subprocess.CompletedProcess:
        return subprocess.run([str(installed / "bin" / "nivomigrate"), "check"], cwd=project,
                              env=environ, capture_output=True, text=True, timeout=300)

    agree = nivomigrate_check()
    assert agree.returncode == 0, agree.stdout + agree.stderr
    models = project / "nivostack_models" / "control.py"
    edited_text = models.read_text().replace(
        "    endpoint: Mapped[str]\n",
        "    endpoint: Mapped[str]\n    nickname: Mapped[str | None]\n", 1)
    assert "nickname" in edited_text
    models.write_text(edited_text)

    edited = nivomigrate_check()

    assert edited.returncode == 1, edited.stdout + edited.stderr
    assert "column public.ApiConfig.nickname only in the models" in edited.stdout
