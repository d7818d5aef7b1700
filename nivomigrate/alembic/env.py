"""Alembic environment of nivomigrate: the connection comes from nivomigrate, never a URL."""

from alembic import context

config = context.config


def target_metadata():
    """The models, imported only when autogenerate compares against them.

    Importing them registers the objects declared beside them (views, functions, policies,
    grants, ...) with alembic_utils, whose comparison creates and drops each in savepoints of
    the connected database: autogenerate therefore runs only on a shadow database.
    """
    if not config.attributes.get("autogenerate"):
        return None
    if not config.attributes.get("shadow"):
        raise RuntimeError("autogenerate runs only against a shadow database")
    from nivomigrate.schema import metadata
    from nivomigrate.schema.objects import declared_entities

    declared_entities()
    return metadata


def include_object(obj, name, type_, reflected, compare_to):
    """Leave nivomigrate's ledger and the version table out of autogenerate."""
    schema = getattr(obj, "schema", None)
    return schema in (None, "public") and name != "alembic_version"


if context.is_offline_mode():
    context.configure(
        dialect_name="postgresql",
        literal_binds=True,
        target_metadata=target_metadata(),
        transaction_per_migration=True,
        output_buffer=config.attributes.get("output_buffer"),
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    context.configure(
        connection=config.attributes["connection"],
        target_metadata=target_metadata(),
        transaction_per_migration=True,
        include_object=include_object,
        compare_server_default=True,
        # alembic_utils' comparison of the declared objects runs only on a shadow database
        nivomigrate_shadow=bool(config.attributes.get("shadow")),
    )
    with context.begin_transaction():
        context.run_migrations()
