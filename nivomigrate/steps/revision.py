"""Write the next revision by autogenerate against a shadow database at head."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.db import sqlalchemy_engine
from nivomigrate.errors import ConfigError

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def write_revision(settings: Settings, message: str, renames: tuple[str, ...] = ()) -> Path:
    """Autogenerate the next revision from the models; return the new file's path.

    Autogenerate sees a renamed column as one dropped and one added (the data lost), and a
    renamed table as one dropped and one created. Each `renames` item, `Table.old:new` for a
    column or `Old:New` for a table, turns that pair into a RENAME (a table's keys and
    indexes whose names follow it renamed too: engine/renamed_tables.py; downgrade: renamed
    back), with the waiver of squawk's `renaming-column`/`renaming-table` saying why it is
    safe (no service in policies/services.yaml uses the old name; refused when one does).
    Without it, such a pair is refused, naming the `--rename` that says it is a rename.

    The operations are written through the online helpers of nivomigrate.ops
    (engine/online.py), so that the revision passes `nivomigrate lint` as written, and its
    phase (expand or contract, from those operations) is declared in it (engine/phases.py).

    Raises:
        ConfigError: the message is empty, the models already agree with head, they
            differ only in what autogenerate cannot see, a required column without a
            server default is added to an existing table (the expand/backfill/contract steps
            are named, as `revision --from-prisma` names them), a `--rename` matches no
            drop and add, a drop and add of the same type is not said to be a rename or
            not, a table is dropped and another created with the same columns (a renamed
            `__tablename__`) and not said to be a rename, or a rename is of what a service
            uses; no file is written then.
    """
    from argparse import Namespace

    from alembic import command

    from nivomigrate.engine.build import schema_at
    from nivomigrate.engine.models import model_findings
    from nivomigrate.engine.online import online_directives
    from nivomigrate.engine.renamed_tables import rename_tables
    from nivomigrate.models import load_metadata
    from nivomigrate.steps.prisma import rename_waivers

    if not message.strip():
        raise ConfigError("the revision message is empty", hint='pass -m "what it does"')
    wanted, tables = _parsed_renames(renames)
    waivers = rename_waivers(  # a rename of what a service uses is refused before any work
        settings, tables, wanted, "add the new column or table beside the old one and run "
        '`nivomigrate revision -m "..."`') if wanted or tables else ()
    differences = model_findings(settings)
    if not differences:
        raise ConfigError("the models and the revisions at head already agree",
                          hint=f"change the models ({settings.models}) first")
    head = migrations.head(settings.versions_dir)
    revision_id = migrations.next_revision_id(settings.versions_dir)
    found_nothing: list[bool] = []

    metadata = load_metadata(settings)

    def skip_empty_else_online(context, revision, directives) -> None:
        if directives[0].upgrade_ops.is_empty():
            found_nothing.append(True)
            directives[:] = []
        rename_tables(context.connection, directives, tables, metadata)
        _renamed(directives, wanted, message)
        _refuse_table_renames(directives, message)
        _refuse_unsafe(directives)
        _new_enums(context, directives)
        online_directives(context, revision, directives)

    with schema_at(settings, head) as target:
        engine = sqlalchemy_engine(target, writes=True)
        try:
            with engine.connect() as conn:
                # shadow=True: alembic_utils' comparison may only touch the shadow database
                config = migrations.alembic_config(settings.versions_dir, connection=conn,
                                                autogenerate=True, shadow=True,
                                                target_metadata=metadata)
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
    if waivers:
        _write_waivers(Path(script.path), waivers)
    from nivomigrate.engine.phases import declare_phase
    from nivomigrate.policies.services import rename_owner

    declare_phase(settings, Path(script.path))
    for old, new in tables:  # a renamed table keeps its owner
        rename_owner(settings.policies_dir, old, new)
    return Path(script.path)


def _parsed_renames(renames: tuple[str, ...]):
    """(table, old, new) of each column's `Table.old:new`, and (old, new) of each table's
    `Old:New`.

    Raises:
        ConfigError: an item is of neither form.
    """
    import re

    columns, tables = [], []
    for item in renames:
        column = re.fullmatch(r"([^.:\s]+)\.([^.:\s]+):([^.:\s]+)", item.strip())
        table = re.fullmatch(r"([^.:\s]+):([^.:\s]+)", item.strip())
        if column is None and table is None:
            raise ConfigError(f"--rename {item!r} is neither Table.old:new nor Old:New",
                              hint="say a renamed column as --rename User.nickname:nick, a "
                              "renamed table as --rename AuditNote:audit_notes")
        (columns if column else tables).append((column or table).groups())
    return columns, tables


def _write_waivers(path: Path, waivers: tuple[str, ...]) -> None:
    """Put the waiver comments at the top of upgrade()'s body."""
    text = path.read_text()
    at = text.index("\n", text.index("def upgrade()")) + 1
    path.write_text(text[:at] + "".join(f"    {waiver}\n" for waiver in waivers) + text[at:])


def _column_ops(container):
    """(ModifyTableOps, op) of each column added or dropped in `container`."""
    from alembic.operations import ops

    for group in container.ops:
        if isinstance(group, ops.ModifyTableOps):
            for op in group.ops:
                if isinstance(op, ops.AddColumnOp | ops.DropColumnOp):
                    yield group, op


def _type_of(op) -> str:
    return _compiled((op.column if hasattr(op, "column") else op.to_column()).type)


def _compiled(type_) -> str:
    from sqlalchemy.dialects import postgresql

    return str(type_.compile(dialect=postgresql.dialect()))


def _renamed(directives: list, wanted: list[tuple[str, str, str]], message: str) -> None:
    """Turn each wanted rename's drop and add into a RENAME COLUMN, up and down.

    Raises:
        ConfigError: a wanted rename is not a drop and an add of the models; or a column
            dropped and another of the same type added to one table is not said to be a
            rename (the `--rename` that says it is named).
    """
    from alembic.operations import ops

    if not directives:
        if wanted:
            raise ConfigError("--rename given, but the models drop and add no column",
                              hint="rename the attribute (or its mapped_column name) in the "
                              "models first")
        return
    script = directives[0]
    for table, old, new in wanted:
        for container, dropped, added in ((script.upgrade_ops, old, new),
                                          (script.downgrade_ops, new, old)):
            found = {(type(op), op.column_name if isinstance(op, ops.DropColumnOp)
                      else op.column.name): (group, op)
                     for group, op in _column_ops(container) if group.table_name == table}
            drop = found.get((ops.DropColumnOp, dropped))
            add = found.get((ops.AddColumnOp, added))
            if drop is None or add is None:
                raise ConfigError(
                    f"--rename {table}.{old}:{new}: the models do not drop {table}.{old} and "
                    f"add {table}.{new}",
                    hint=f"rename the attribute (or its mapped_column name) {old} to {new} "
                    f"in the model of {table}, then run this again")
            group, drop_op = drop
            column = add[1].column
            rename = ops.AlterColumnOp(table, dropped, schema=drop_op.schema,
                                       modify_name=added, existing_type=column.type,
                                       existing_nullable=column.nullable)
            group.ops[group.ops.index(drop_op)] = rename
            add[0].ops.remove(add[1])
    pairs = {}
    for group, op in _column_ops(script.upgrade_ops):
        kind = "drop" if isinstance(op, ops.DropColumnOp) else "add"
        name = op.column_name if kind == "drop" else op.column.name
        pairs.setdefault((group.table_name, _type_of(op)), {}).setdefault(kind, []).append(name)
    for (table, _), found in sorted(pairs.items()):
        if found.get("drop") and found.get("add"):
            old, new = found["drop"][0], found["add"][0]
            raise ConfigError(
                f"the models drop {table}.{old} and add {table}.{new} of the same type: "
                f"autogenerate would drop the column and its data",
                hint=f"if it is a rename: nivomigrate revision -m \"{message}\" --rename "
                f"{table}.{old}:{new}; if not, add {table}.{new} in one revision and drop "
                f"{table}.{old} in the next")


def _new_enums(context, directives: list) -> None:
    """Create and drop the enum types the revision's new columns bring.

    A table the revision creates creates its enum types (`create_table`), but alembic's
    `drop_table` leaves them and `add_column` creates none: so a new type only an added
    column uses is created first (CREATE TYPE), and every new type is dropped at the end of
    downgrade() (else it fails, or does not restore the previous schema and `one-way` blocks
    the revision)."""
    import sqlalchemy as sa
    from alembic.operations import ops
    from sqlalchemy.dialects.postgresql.named_types import CreateEnumType

    if not directives:
        return
    script = directives[0]
    found: dict[str, tuple[object, bool]] = {}  # name -> (type, a created table uses it)
    for op in script.upgrade_ops.ops:
        created = isinstance(op, ops.CreateTableOp)
        columns = op.columns if created else [
            o.column for o in op.ops if isinstance(o, ops.AddColumnOp)] \
            if isinstance(op, ops.ModifyTableOps) else []
        for column in columns:
            kind = getattr(column, "type", None)
            kind = getattr(kind, "item_type", kind)  # an array of the enum
            if isinstance(kind, sa.Enum) and kind.name:
                found[kind.name] = (kind, created or found.get(kind.name, (None, False))[1])
    if not found:
        return
    existing = {row[0] for row in context.connection.execute(sa.text(
        "select t.typname from pg_type t join pg_namespace n on n.oid = t.typnamespace "
        "where t.typtype = 'e' and n.nspname = current_schema()"))}
    new = {name: value for name, value in found.items() if name not in existing}
    quote = context.dialect.identifier_preparer.quote
    script.upgrade_ops.ops[:0] = [
        ops.ExecuteSQLOp(str(CreateEnumType(kind).compile(dialect=context.dialect)))
        for kind, in_created_table in new.values() if not in_created_table]
    script.downgrade_ops.ops += [ops.ExecuteSQLOp(f"DROP TYPE {quote(name)}") for name in new]


def _refuse_table_renames(directives: list, message: str) -> None:
    """Refuse a table dropped and another created with the same columns, or with all of the
    other's and more, not said to be a rename: a renamed `__tablename__` (its columns
    changed too, maybe), which autogenerate would write as a drop (the data lost) and a
    create. The hint names the `--rename Old:New` that says it (a rename alone first, when
    the columns change too)."""
    from alembic.operations import ops

    if not directives:
        return
    upgrade = directives[0].upgrade_ops.ops
    dropped = [op for op in upgrade if isinstance(op, ops.DropTableOp)]
    pairs, changed = [], False
    for created in (op for op in upgrade if isinstance(op, ops.CreateTableOp)):
        new_columns = _columns_of(created.to_table())
        for op in dropped:
            old_columns = _columns_of(op.to_table())
            if old_columns <= new_columns or new_columns <= old_columns:
                pairs.append((op.table_name, created.table_name))
                changed = changed or old_columns != new_columns
                break
    if not pairs:
        return
    said = "; ".join(f"drop table {old} and create {new}" for old, new in sorted(pairs))
    renames = " ".join(f"--rename {old}:{new}" for old, new in sorted(pairs))
    first = ("keep the columns as they were in the models, then run " if changed else "")
    raise ConfigError(f"the models {said} with the same columns"
                      f"{' (more or fewer)' if changed else ''}: autogenerate would drop "
                      f"the table{'s' if len(pairs) > 1 else ''} and the data",
                      hint=f'if it is a rename: {first}nivomigrate revision -m "{message}" '
                      f"{renames}{' (change the columns in the next revision)' if changed else ''}"
                      "; if not, create the new table in one revision and drop the old one in "
                      "the next")


def _columns_of(table) -> set[tuple[str, str]]:
    return {(column.name, _compiled(column.type)) for column in table.columns}


def _refuse_unsafe(directives: list) -> None:
    """Refuse a required column without a server default added to a table the revision does
    not create: it fails on a table with rows (the same refusal as from schema.prisma)."""
    from alembic.operations import ops

    if not directives:
        return
    upgrade = directives[0].upgrade_ops
    created = {op.table_name for op in upgrade.ops if isinstance(op, ops.CreateTableOp)}
    for op in upgrade.ops:
        for change in op.ops if isinstance(op, ops.ModifyTableOps) else [op]:
            if not isinstance(change, ops.AddColumnOp) or change.table_name in created:
                continue
            column = change.column
            if column.nullable or column.server_default is not None or column.primary_key:
                continue
            message, hint = _required_refusal(change.table_name, column)
            raise ConfigError(message, hint=hint)


def _required_refusal(table: str, column) -> tuple[str, str]:
    """The refusal's message and hint, the declarations said as the models say them."""
    from nivomigrate.prisma.steps import required_field_refusal

    attribute = column.key or column.name
    try:
        python = column.type.python_type.__name__
    except NotImplementedError:
        python = None
    declared = f"{attribute}: Mapped[{python}]" if python else f"{attribute} (nullable=False)"
    optional = f"{attribute}: Mapped[{python} | None]" if python else \
        f"{attribute} (nullable=True)"
    return required_field_refusal(table, attribute, optional=optional, required=declared,
                                  command='nivomigrate revision -m "..."',
                                  default="a server_default")


def revision_report(settings: Settings, message: str, renames: tuple[str, ...] = ()):
    """Autogenerate the next revision, then bring schema.prisma in step with the new head
    when `prisma_schema` is configured (`prisma write`); the report is blocked (exit 1) when
    schema.prisma needs a hand edit as well."""
    from nivomigrate.findings import Report

    path = write_revision(settings, message, renames)
    if settings.prisma_schema is None:
        return Report(command="revision", title=f"wrote {path}", data={"path": str(path)})
    _, tables = _parsed_renames(renames)
    if tables and settings.prisma_schema.is_file():  # the model keeps its name: @@map
        from nivomigrate.prisma.renames import mapped_tables

        schema = settings.prisma_schema
        schema.write_text(mapped_tables(schema.read_text(), tuple(tables)))
    from nivomigrate.steps.prisma import write_prisma

    prisma = write_prisma(settings, None)
    return Report(command="revision", title=f"wrote {path}; {prisma.title}",
                  findings=prisma.findings, sections=prisma.sections,
                  data={"path": str(path), "prisma": prisma.data})
