"""Write the next revision by autogenerate against a shadow database at head."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.db import sqlalchemy_engine
from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def write_revision(settings: Settings, message: str) -> Path:
    """Autogenerate the next revision from the models; return the new file's path.

    The operations are written through the online helpers of nivomigrate.ops
    (engine/online.py), so that the revision passes `nivomigrate lint` as written, and its
    phase (expand or contract, from those operations) is declared in it (engine/phases.py).

    Raises:
        ConfigError: the message is empty, the models already agree with head, or they
            differ only in what autogenerate cannot see (no file is written then).
    """
    from argparse import Namespace

    from alembic import command

    from nivomigrate.engine.build import schema_at
    from nivomigrate.engine.models import model_findings
    from nivomigrate.engine.online import online_directives
    from nivomigrate.models import load_metadata

    if not message.strip():
        raise ConfigError("the revision message is empty", hint='pass -m "what it does"')
    differences = model_findings(settings)
    if not differences:
        raise ConfigError("the models and the revisions at head already agree",
                          hint=f"change the models ({settings.models}) first")
    head = migrations.head(settings.versions_dir)
    revision_id = migrations.next_revision_id(settings.versions_dir)
    found_nothing: list[bool] = []

    def skip_empty_else_online(context, revision, directives) -> None:
        if directives[0].upgrade_ops.is_empty():
            found_nothing.append(True)
            directives[:] = []
        online_directives(context, revision, directives)

    with schema_at(settings, head) as target:
        engine = sqlalchemy_engine(target, writes=True)
        try:
            with engine.connect() as conn:
                # shadow=True: alembic_utils' comparison may only touch the shadow database
                config = migrations.alembic_config(settings.versions_dir, connection=conn,
                                                autogenerate=True, shadow=True,
                                                target_metadata=load_metadata(settings))
                config.cmd_opts = Namespace(quiet=True)  # alembic prints "Generating ..."
                script = command.revision(config, message=message, autogenerate=True,
                                          rev_id=revision_id,
                                          process_revision_directives=skip_empty_else_online)
        finally:
            engine.dispose()
    if found_nothing or script is None:
        raise ConfigError(
            "autogenerate found no operation for what differs: "
            + "; ".join(f.message for f in differences[:5]),
            hint="write the revision by hand (alembic op.execute), then run nivomigrate check",
        )
    from nivomigrate.engine.phases import declare_phase

    declare_phase(settings, Path(script.path))
    return Path(script.path)


def revision_report(settings: Settings, message: str):
    """Autogenerate the next revision, then bring schema.prisma in step with the new head
    when `prisma_schema` is configured (`prisma write`); the report is blocked (exit 1) when
    schema.prisma needs a hand edit as well."""
    from nivomigrate.findings import Report

    path = write_revision(settings, message)
    if settings.prisma_schema is None:
        return Report(command="revision", title=f"wrote {path}", data={"path": str(path)})
    from nivomigrate.steps.prisma import write_prisma

    prisma = write_prisma(settings, None)
    return Report(command="revision", title=f"wrote {path}; {prisma.title}",
                  findings=prisma.findings, sections=prisma.sections,
                  data={"path": str(path), "prisma": prisma.data})
