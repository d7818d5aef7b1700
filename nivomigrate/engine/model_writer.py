"""Bring the model files in step with the schema the revisions build at head.

Used after `revision --from-prisma` wrote a revision: the schema built in the shadow server at
the new head is the truth (what Prisma's DDL, rendered online, really made), the models'
schema is compared with it, and each difference is written into the model files of the
configured `models` module (nivomigrate.models_source). What the helpers cannot write is
listed for a hand edit; the comparison is run again to say what is left.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate import migrations
from nivomigrate.models_source import (
    FileEdit,
    TableChanges,
    TableFacts,
    add_class,
    declare_enum,
    declared_enums,
    edit_table,
    find_classes,
    remove_class,
)

if TYPE_CHECKING:
    from nivomigrate.config import Settings
    from nivomigrate.snapshot import SchemaDiff

_SCHEMA = "public"


@dataclass(frozen=True)
class ModelsWritten:
    """The model files changed (old and new text), what needs a hand edit, what still differs."""

    changed: dict[Path, tuple[str, str]] = field(default_factory=dict)
    left: tuple[str, ...] = ()
    remaining: tuple[str, ...] = ()


@dataclass
class _Plan:
    new_tables: set[str] = field(default_factory=set)
    removed_tables: set[str] = field(default_factory=set)
    columns: dict = field(default_factory=lambda: defaultdict(set))
    removed_columns: dict = field(default_factory=lambda: defaultdict(set))
    indexes: dict = field(default_factory=lambda: defaultdict(set))
    removed_indexes: dict = field(default_factory=lambda: defaultdict(set))
    enums: set[str] = field(default_factory=set)
    removed_enums: set[str] = field(default_factory=set)
    left: list[str] = field(default_factory=list)


def write_models(settings: Settings, names: dict[str, str] | None = None,
                 orders: dict[str, list[str]] | None = None,
                 fields: dict[str, dict[str, str]] | None = None) -> ModelsWritten:
    """Write the models' differences from head into the model files; return what changed.

    Args:
        names: class names for new tables (Prisma's model names), by table.
        orders: column order for new tables (Prisma's field order), by table.
        fields: Prisma's field names by table and column: a new column's attribute (a column
            renamed by `@map` keeps its field's name).
    """
    from nivomigrate.models import module_files
    from nivomigrate.policies.services import load_service_map

    expected, actual = _snapshots(settings)
    from nivomigrate.snapshot import compare

    difference = compare(expected, actual)
    if difference.is_empty:
        return ModelsWritten()
    files = module_files(settings)
    plan = _plan(difference, expected.objects, actual.objects)
    owners = load_service_map(settings.policies_dir).owners or {}
    edits = _edits(plan, expected.objects, files, owners, names or {}, orders or {},
                   fields or {})
    changed = {}
    for path, edit in edits.items():
        new = edit.result()
        if new != edit.text:
            path.write_text(new)
            changed[path] = (edit.text, new)
    after = compare(*_snapshots(settings))
    remaining = tuple(f"{key}: {text}" for key, text in after.entries("the revisions",
                                                                       "the models"))
    return ModelsWritten(changed, tuple(plan.left), remaining)


def _snapshots(settings: Settings):
    from nivomigrate.engine.build import shadow_server, snapshot_at
    from nivomigrate.engine.models import models_snapshot

    server = shadow_server(settings)
    expected = snapshot_at(settings, migrations.head(settings.versions_dir), server)
    return expected, models_snapshot(settings, server)[0]


def _plan(difference: SchemaDiff, expected: dict, actual: dict) -> _Plan:
    """Sort the differences into what each table's class needs."""
    plan = _Plan()
    for key in difference.added:
        _add(plan, key, expected, actual, added=True)
    for key in difference.removed:
        _add(plan, key, actual, expected, added=False)
    for changed in difference.changed:
        _add(plan, changed.key, expected, actual, added=True, changed=True)
    return plan


def _add(plan: _Plan, key: str, side: dict, other: dict, *, added: bool,
         changed: bool = False) -> None:
    from nivomigrate.prisma.compare import foreign_key_spec

    kind, name = key.split(" ", 1)
    schema, _, rest = name.partition(".")
    if schema != _SCHEMA:
        plan.left.append(key)
    elif kind == "table":
        (plan.new_tables if added and not changed else plan.removed_tables).add(rest)
        if changed:
            plan.left.append(key)
    elif kind == "column":
        table, column = rest.split(".", 1)
        (plan.columns if added else plan.removed_columns)[table].add(column)
    elif kind == "index":
        _add_index(plan, key, rest, side, other, added=added, changed=changed)
    elif kind == "constraint":
        table = rest.split(".", 1)[0]
        attributes = side[key]
        spec = foreign_key_spec(key, attributes) if attributes.get("type") == "f" else None
        columns = spec.columns if spec else _primary_key(attributes)
        if columns is None or (spec and len(columns) != 1):
            plan.left.append(key)
        else:
            plan.columns[table] |= set(columns)
    elif kind == "enum":
        (plan.enums if added else plan.removed_enums).add(rest)
    elif kind != "sequence":  # serial sequences follow their columns
        plan.left.append(key)


def _add_index(plan: _Plan, key: str, name: str, side: dict, other: dict, *, added: bool,
               changed: bool) -> None:
    table = side[key]["table"].split(".", 1)[1]
    if f"constraint {_SCHEMA}.{table}.{name}" in side:
        return  # backs a primary key: said by the columns
    (plan.indexes if added else plan.removed_indexes)[table].add(name)
    if changed:
        plan.removed_indexes[table].add(name)


def _primary_key(attributes: dict) -> tuple[str, ...] | None:
    definition = attributes.get("definition") or ""
    if attributes.get("type") != "p" or not definition.startswith("PRIMARY KEY ("):
        return None
    return tuple(_unquoted(c.strip()) for c in definition[13:-1].split(","))


def _unquoted(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def table_facts(objects: dict, table: str) -> TableFacts:
    """Return what the snapshot `objects` say of `table` (in schema public)."""
    from nivomigrate.prisma.compare import foreign_key_spec, index_spec

    prefix = f"{_SCHEMA}.{table}."
    columns = {key[len("column ") + len(prefix):]: dict(value) for key, value in objects.items()
               if key.startswith("column " + prefix)}
    constraints = {key: value for key, value in objects.items()
                   if key.startswith("constraint " + prefix)}
    backing = {key.rsplit(".", 1)[1] for key in constraints}
    indexes = {}
    for key, value in objects.items():
        if key.startswith("index ") and value.get("table") == f"{_SCHEMA}.{table}":
            name = key.split(".", 1)[1]
            spec = index_spec(key, value)
            if name not in backing and spec is not None:
                indexes[name] = spec
    foreign_keys, primary = {}, ()
    for key, value in constraints.items():
        spec = foreign_key_spec(key, value) if value.get("type") == "f" else None
        if spec and len(spec.columns) == 1:
            foreign_keys[spec.columns[0]] = spec
        primary = _primary_key(value) or primary
    return TableFacts(columns, indexes, foreign_keys, primary)


def _edits(plan: _Plan, expected: dict, files: list[Path], owners: dict[str, str],
           names: dict[str, str], orders: dict[str, list[str]],
           fields: dict[str, dict[str, str]]) -> dict[Path, FileEdit]:
    from nivomigrate.models_render import UnsupportedError, class_name

    classes = find_classes(files)
    edits = {path: FileEdit(path.read_text()) for path in files}
    enums = _enums(plan, expected, files, classes, edits)
    for table in sorted(plan.removed_tables & set(classes)):
        remove_class(edits[classes[table].path], classes[table])
    for table in sorted(set(plan.columns) | set(plan.removed_columns) | set(plan.indexes)
                        | set(plan.removed_indexes)):
        if table in plan.new_tables or table in plan.removed_tables:
            continue
        if table not in classes:
            plan.left.append(f"table {table}: no model class declares it")
            continue
        model = classes[table]
        changes = TableChanges(plan.columns[table], plan.removed_columns[table],
                               plan.indexes[table], plan.removed_indexes[table],
                               orders.get(table, []), fields.get(table, {}))
        plan.left += edit_table(edits[model.path], model, table_facts(expected, table), changes,
                                enums)
    for table in sorted(plan.new_tables):
        path = _file_for(table, expected, files, owners, classes)
        try:
            add_class(edits[path], names.get(table) or class_name(table), table,
                      table_facts(expected, table), orders.get(table, []), enums,
                      fields.get(table))
        except UnsupportedError as exc:
            plan.left.append(f"table {table}: {exc}")
    return edits


def _enums(plan: _Plan, expected: dict, files: list[Path], classes: dict,
           edits: dict[Path, FileEdit]) -> dict[str, str]:
    """Declare the new and changed enums; return every enum's variable name by enum name."""
    declared = declared_enums(files)
    variables = {name: variable for name, (_, variable, _) in declared.items()}
    for name in sorted(plan.enums):
        labels = list(expected[f"enum {_SCHEMA}.{name}"]["labels"])
        path, variable, node = declared.get(name, (None, name, None))
        path = path or _file_using(name, expected, classes) or files[-1]
        declare_enum(edits[path], variable, name, labels, node)
        variables[name] = variable
    for name in sorted(plan.removed_enums & set(declared)):
        path, _, node = declared[name]
        edits[path].deleted.update(range(node.lineno - 1, node.end_lineno))
    return variables


def _file_using(enum: str, expected: dict, classes: dict) -> Path | None:
    for key, value in sorted(expected.items()):
        if key.startswith("column ") and value.get("type", "").strip('"').endswith(enum):
            table = key.split(".")[1]
            if table in classes:
                return classes[table].path
    return None


def _file_for(table: str, expected: dict, files: list[Path], owners: dict[str, str],
              classes: dict) -> Path:
    """The file a new table's class goes to: its owning service's (policies/services.yaml),
    else that of a table it references, else the last file holding models."""
    owner = owners.get(table)
    by_stem = {path.stem: path for path in files}
    if owner in by_stem:
        return by_stem[owner]
    for spec in table_facts(expected, table).foreign_keys.values():
        if spec.referenced_table in classes:
            return classes[spec.referenced_table].path
    holding = sorted({model.path for model in classes.values()})
    return holding[-1] if holding else files[-1]
