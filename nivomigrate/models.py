"""The project's models: the SQLAlchemy metadata `check` and `revision` compare with.

Imported from the project's folder (`models = "package.module"` in nivomigrate.toml; there is
no default: a command that needs the models names the key when it is missing), never from
site-packages: after a non-editable `pip install .`, or in
another team's repository running the composite action, the models are the project's own
files as they are now, not a copy installed earlier or NivoStack's. The module must define
`metadata` (a `sqlalchemy.MetaData`). The objects declared beside the models (alembic_utils'
`register_entities`, see `nivomigrate.schema.objects`) are the project's too: the registry is
emptied before the import, and the adopted declarations `baseline --write-revision` wrote into
the package (`adopted_*.py`) are imported with it.

While it is imported, the module's top package is looked up in the project folder only (any
module of that name already imported is set aside and put back afterwards), so that the
models' own imports (`from app.models.base import ...`) read the project's files too.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from nivomigrate.config import Settings

_NO_MODELS_HINT = ('set models = "package.module" in nivomigrate.toml: the module of your '
                   "project, beside versions/, that defines `metadata` (README, Configuration)")


def load_metadata(settings: Settings) -> MetaData:
    """Import `settings.models` from `settings.root` and return its `metadata`.

    Raises:
        ConfigError: the module is not in the project folder, fails to import, or has no
            `metadata`.
    """
    from alembic_utils.replaceable_entity import register_entities, registry
    from sqlalchemy import MetaData

    from nivomigrate.schema.objects import ADOPTED_PREFIX, ENTITY_TYPES

    name, root = _configured(settings), settings.root
    found = _module_file(root, name)
    if not found:
        raise ConfigError(f"the models module {name} is not in {root}",
                          hint=_NO_MODELS_HINT)
    registry.clear()
    register_entities([], entity_types=ENTITY_TYPES)
    with _from_project(root, name.split(".")[0]):
        module = _imported(name, found)
        package = name if found.name == "__init__.py" else name.rpartition(".")[0]
        for path in sorted(found.parent.glob(f"{ADOPTED_PREFIX}*.py")):
            _imported(f"{package}.{path.stem}" if package else path.stem, path)
    metadata = getattr(module, "metadata", None)
    if not isinstance(metadata, MetaData):
        raise ConfigError(f"the models module {name} has no `metadata` (a sqlalchemy MetaData)",
                          hint="define metadata = Base.metadata in it")
    return metadata


def declared_entities() -> list:
    """Return the objects the models loaded last declare besides tables (`load_metadata`)."""
    from alembic_utils.replaceable_entity import registry

    return registry.entities()


def _imported(name: str, path: Path):
    try:
        return importlib.import_module(name)
    except Exception as exc:
        raise ConfigError(f"the models module {name} fails to import: "
                          f"{type(exc).__name__}: {exc}", hint=f"fix {path}") from None


def models_directory(settings: Settings) -> Path:
    """Return the folder of the project's models package (where adopted declarations go)."""
    found = _module_file(settings.root, _configured(settings))
    if found is None:
        raise ConfigError(f"the models module {settings.models} is not in {settings.root}",
                          hint=_NO_MODELS_HINT)
    return found.parent


def module_files(settings: Settings) -> list[Path]:
    """Return the files of the project's models module: every `.py` of its package (or the
    module itself), where the model classes are looked for and written.

    Raises:
        ConfigError: the module is not in the project folder.
    """
    found = models_directory(settings) and _module_file(settings.root, settings.models)
    if found.name != "__init__.py":
        return [found]
    return sorted(path for path in found.parent.rglob("*.py") if "__pycache__" not in path.parts)


def _configured(settings: Settings) -> str:
    if settings.models is None:
        raise ConfigError("no models module is configured: nivomigrate.toml has no `models =`",
                          hint=_NO_MODELS_HINT)
    return settings.models


def _module_file(root: Path, name: str) -> Path | None:
    base = root.joinpath(*name.split("."))
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


@contextmanager
def _from_project(root: Path, top: str) -> Iterator[None]:
    """Import `top` and its submodules from `root` only, then restore sys.modules/sys.path."""
    def ours(module_name: str) -> bool:
        return module_name == top or module_name.startswith(top + ".")

    saved = {key: module for key, module in sys.modules.items() if ours(key)}
    for key in saved:
        del sys.modules[key]
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(root))
        for key in [key for key in sys.modules if ours(key)]:
            del sys.modules[key]
        sys.modules.update(saved)
