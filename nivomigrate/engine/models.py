"""The schema the models create, compared with the one the revisions build at head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import migrations, shadow
from nivomigrate.checks import models_match, single_head
from nivomigrate.db import Target, sqlalchemy_engine
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Finding

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def model_findings(settings: Settings) -> list[Finding]:
    """Compare the schema the revisions build at head with the one the models create.

    Uses the same snapshot comparison as drift and verification, so server defaults, check
    constraints and index details count (autogenerate alone misses them).
    """
    from nivomigrate.engine.build import shadow_server, snapshot_at
    from nivomigrate.snapshot import compare

    try:
        head = migrations.head(settings.versions_dir)
    except ConfigError as exc:
        return single_head.findings(exc.message, exc.hint, str(settings.versions_dir))
    from nivomigrate.models import load_metadata

    metadata = load_metadata(settings)
    server = shadow_server(settings)
    revisions_snapshot = snapshot_at(settings, head, server)
    with shadow.scratch_database(server.admin_url, template=server.platform_template,
                                 prefix="nivo_models") as url:
        models_snapshot = _models_snapshot(url, metadata)
    return models_match.findings(compare(revisions_snapshot, models_snapshot), head)


def _models_snapshot(url: str, metadata):
    target = Target("models", url, "the shadow server")
    engine = sqlalchemy_engine(target, writes=True)
    with engine.begin() as conn:
        metadata.create_all(conn)
    engine.dispose()
    from nivomigrate.engine.diff import snapshot_of

    return snapshot_of(target)
