"""Write the next revision by autogenerate against a shadow database at head."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.db import sqlalchemy_engine
from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def next_revision_id(versions_dir: Path) -> str:
    """Return the next sortable revision id: 0001, 0002, ..."""
    numbers = [int(m.group(1)) for path in versions_dir.glob("*.py")
               if (m := re.match(r"(\d{4})_", path.name))]
    return f"{max(numbers, default=0) + 1:04d}"


def write_revision(settings: Settings, message: str) -> Path:
    """Autogenerate the next revision from the models; return the new file's path.

    Raises:
        ConfigError: the message is empty, or the models already agree with head.
    """
    from alembic import command

    from nivomigrate.steps.build import schema_at
    from nivomigrate.steps.check import model_findings

    if not message.strip():
        raise ConfigError("the revision message is empty", hint='pass -m "what it does"')
    if not model_findings(settings):
        raise ConfigError("the models and the revisions at head already agree",
                          hint="change the models in nivomigrate/schema/ first")
    head = migrations.head(settings.versions_dir)
    revision_id = next_revision_id(settings.versions_dir)
    with schema_at(settings, head) as target:
        engine = sqlalchemy_engine(target, writes=True)
        with engine.connect() as conn:
            config = migrations.alembic_config(settings.versions_dir, connection=conn)
            script = command.revision(config, message=message, autogenerate=True,
                                      rev_id=revision_id)
        engine.dispose()
    return Path(script.path)
