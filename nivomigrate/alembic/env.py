"""Alembic environment of nivomigrate: the connection comes from whoever runs alembic, never
from a URL in this file.

It follows alembic's contract for a shared connection (`config.attributes["connection"]`,
the cookbook's "Sharing a Connection"): an Engine is connected here; a Connection is used as
given, and a transaction it has already begun is committed first, so that a revision's
`autocommit_block` (CREATE INDEX CONCURRENTLY) runs outside any transaction. So the field's own
harness (pytest-alembic) drives these revisions unchanged.
"""

from alembic import context

config = context.config


def target_metadata():
    """The project's models: those nivomigrate passes (`target_metadata`, read by
    nivomigrate/models.py from the project folder with their declared objects; None where no
    comparison runs), else, for a harness that runs alembic with a config of its own, those
    `models =` names in the nivomigrate.toml found from the working directory.

    Importing the models registers the objects declared beside them (views, functions,
    policies, grants, ...) with alembic_utils, whose comparison creates and drops each in
    savepoints of the connected database: nivomigrate's own autogenerate therefore runs only
    on a shadow database.
    """
    if config.attributes.get("autogenerate") and not config.attributes.get("shadow"):
        raise RuntimeError("autogenerate runs only against a shadow database")
    given = config.attributes.get("target_metadata")
    if given is not None or config.attributes.get("nivomigrate_without_models"):
        return given  # nivomigrate's own config; None for an upgrade or --sql
    from nivomigrate.config import load_settings
    from nivomigrate.models import load_metadata

    return load_metadata(load_settings())


def include_object(obj, name, type_, reflected, compare_to):
    """Leave nivomigrate's ledger and the version table out of autogenerate."""
    schema = getattr(obj, "schema", None)
    return schema in (None, "public") and name != "alembic_version"


def run_offline() -> None:
    # paramstyle "named": the text is what online mode sends, without the pyformat escaping
    # that would double every % (alembic's own template does the same; alembic issue #562)
    context.configure(
        dialect_name="postgresql",
        dialect_opts={"paramstyle": "named"},
        literal_binds=True,
        transaction_per_migration=True,
        output_buffer=config.attributes.get("output_buffer"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online(connection) -> None:
    if connection.in_transaction():
        connection.commit()  # alembic must own the transactions it opens and closes
    context.configure(
        connection=connection,
        target_metadata=target_metadata(),
        transaction_per_migration=True,
        include_object=include_object,
        compare_server_default=True,
        # named CHECK constraints too (alembic's opt-in plugin): `revision -m` writes them
        autogenerate_plugins=["alembic.autogenerate.*", "alembic.ext.checkconstraint_byname"],
        # alembic_utils' comparison of the declared objects runs only on a shadow database
        nivomigrate_shadow=bool(config.attributes.get("shadow")),
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        run_offline()
        return
    connectable = config.attributes.get("connection")
    if connectable is None:
        raise RuntimeError("nivomigrate's alembic environment needs a connection: "
                           "config.attributes['connection'] (an Engine or a Connection)")
    if hasattr(connectable, "connect") and not hasattr(connectable, "in_transaction"):
        with connectable.connect() as connection:  # an Engine
            run_online(connection)
            connection.commit()
    else:
        run_online(connectable)


main()
