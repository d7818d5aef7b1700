"""Compare head's schema with the one Prisma makes from schema.prisma, as Prisma attributes.

Both sides are nivomigrate snapshots (nivomigrate.snapshot): head's from the shadow template,
Prisma's from its DDL loaded into a scratch database. Only what a Prisma schema can express is
compared: tables, columns (type, NOT NULL, default), plain indexes and uniques, primary and
foreign keys, enums and serial sequences. Everything else head holds (views, functions,
triggers, policies, CHECKs, partial or expression indexes, row security, comments) is listed
apart: a `prisma db push` would drop or ignore it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nivomigrate.prisma.schema import (
    PrismaSchema,
    declared_indexes,
    declared_relations,
    default_name,
    without_comment,
)

if TYPE_CHECKING:
    from nivomigrate.snapshot import Snapshot

_COLUMN_ATTRIBUTES = ("type", "not_null", "default")
_METHODS = {"btree": None, "hash": "Hash", "gist": "Gist", "gin": "Gin", "spgist": "SpGist",
            "brin": "Brin"}
_ACTIONS = {"CASCADE": "Cascade", "SET NULL": "SetNull", "RESTRICT": "Restrict",
            "NO ACTION": "NoAction", "SET DEFAULT": "SetDefault"}
_INDEX = re.compile(r'^CREATE (UNIQUE )?INDEX (\S+) ON (\S+) USING (\w+) \((.*)\)$')
_KEY_ITEM = re.compile(r'^("(?:[^"]|"")+"|[a-z_][a-z0-9_$]*)( DESC)?$')
_FOREIGN_KEY = re.compile(
    r'^FOREIGN KEY \((.+?)\) REFERENCES (\S+?)\((.+?)\)((?: ON (?:UPDATE|DELETE) '
    r'(?:CASCADE|SET NULL|SET DEFAULT|RESTRICT|NO ACTION))*)$')


@dataclass(frozen=True)
class IndexSpec:
    """A plain index: name, table, unique, key columns with DESC, and the access method."""

    name: str
    table: str
    unique: bool
    columns: tuple[tuple[str, bool], ...]
    method: str


@dataclass(frozen=True)
class ForeignKeySpec:
    name: str
    table: str
    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]
    on_delete: str
    on_update: str


@dataclass(frozen=True)
class AttributeChange:
    """One difference, said as the Prisma change that removes it.

    `action` is add, remove or change; `target` index, unique, relation, primary key, model,
    field or enum; `writable`: `prisma write` can make it (index, unique and relation
    attributes of an existing model); `spec` the IndexSpec or ForeignKeySpec head wants.
    """

    model: str
    action: str
    target: str
    attribute: str
    key: str
    writable: bool = False
    spec: object = field(default=None, compare=False)
    removes: str | None = None  # the database name of what Prisma declares and head lacks

    def text(self) -> str:
        return f"{self.action} {self.attribute} on model {self.model}"


@dataclass(frozen=True)
class Unexpressible:
    """Something head holds that a Prisma schema cannot declare."""

    key: str
    what: str


@dataclass(frozen=True)
class PrismaComparison:
    changes: tuple[AttributeChange, ...]
    unexpressible: tuple[Unexpressible, ...]
    head_objects: dict = field(default_factory=dict, repr=False)
    prisma_objects: dict = field(default_factory=dict, repr=False)

    @property
    def in_step(self) -> bool:
        return not self.changes


def compare_with_head(head: Snapshot, prisma: Snapshot, schema: PrismaSchema) -> PrismaComparison:
    """Return the attribute changes that bring `schema` in step with `head`, and what Prisma
    cannot express of head."""
    head_objects, unexpressible = expressible_objects(head.objects)
    prisma_objects, _ = expressible_objects(prisma.objects)
    schema = _with_head_enums(schema, head_objects)
    primary_key_indexes = _primary_key_indexes(head.objects) | \
        _primary_key_indexes(prisma.objects)
    changes: list[AttributeChange] = []
    for key in sorted(set(head_objects) | set(prisma_objects)):
        wanted, declared = head_objects.get(key), prisma_objects.get(key)
        if wanted == declared or key in primary_key_indexes:
            continue
        changes += _changes_for(key, wanted, declared, schema)
    changes = _with_new_fields(_paired_relations(changes, schema), schema)
    changes = _with_new_models(changes, schema, head_objects)
    changes = _with_relation_fields(changes, schema, head_objects)
    return PrismaComparison(tuple(changes), tuple(unexpressible), head_objects, prisma_objects)


def _with_head_enums(schema: PrismaSchema, head_objects: dict) -> PrismaSchema:
    """`schema` knowing head's enums of `public` too: a field of an enum `prisma write` adds in
    the same pass is typed by it."""
    from dataclasses import replace

    names = [key.split(".", 1)[1] for key in head_objects if key.startswith("enum public.")]
    added = tuple(name for name in sorted(names) if name not in schema.enums)
    return replace(schema, enums=schema.enums + added) if added else schema


def enum_block(name: str, labels: list[str], names: dict[str, str] | None = None
               ) -> str | None:
    """Return `enum Name { ... }` declaring `labels`, None when the enum's name is no Prisma
    identifier. A label that is no Prisma identifier (`in-progress`) is declared by a value
    named after it and mapped (`in_progress @map("in-progress")`); `names` gives the value
    names the file already uses for labels (kept as they are)."""
    if not re.fullmatch(r"[A-Za-z]\w*", name):
        return None
    names = names or {}
    taken = set(names.values())
    lines = []
    for label in labels:
        value = names.get(label)
        if value is None:
            from nivomigrate.prisma.fields import enum_value_name

            value = enum_value_name(label)
            base, number = value, 2
            while value in taken:
                value, number = f"{base}{number}", number + 1
            taken.add(value)
        mapped = "" if value == label else ' @map("' + label.replace("\\", "\\\\") \
            .replace('"', '\\"') + '")'
        lines.append(f"  {value}{mapped}\n")
    return f"enum {name} {{\n" + "".join(lines) + "}\n"


def enum_names(schema: PrismaSchema, name: str) -> dict[str, str]:
    """The value name of each label enum `name` declares in `schema` (label -> name)."""
    where = enum_lines(schema, name)
    found = {}
    for number in range(where[0] + 1, where[1]) if where else ():
        code = without_comment(schema.lines[number]).strip()
        match = re.match(r'^(\w+)(?:\s+@map\(\s*(?:name:\s*)?"((?:[^"\\]|\\.)*)"\s*\))?', code)
        if code and match:
            label = match.group(2)
            label = label.replace('\\"', '"').replace("\\\\", "\\") if label else None
            found[label or match.group(1)] = match.group(1)
    return found


def _primary_key_indexes(objects) -> set[str]:
    """The keys of the indexes behind primary keys: said by their constraint (`@id`,
    `@@id`), never as a `@@unique` of the same name."""
    return {f"index {_schema_of(key)}.{key.rsplit('.', 1)[1]}"
            for key, value in objects.items()
            if key.startswith("constraint ") and value.get("type") == "p"}


def expressible_objects(objects) -> tuple[dict, list[Unexpressible]]:
    """Split snapshot objects into what Prisma can express (attributes trimmed to what it
    sets) and what it cannot."""
    backing = {f"index {_schema_of(key)}.{key.rsplit('.', 1)[1]}"
               for key, value in objects.items()
               if key.startswith("constraint ") and value.get("type") in {"p", "u", "x"}}
    kept, left_out = {}, []
    for key, attributes in objects.items():
        kind = key.split(" ", 1)[0]
        reason = _unexpressible(key, kind, attributes, backing)
        if reason:
            left_out.append(Unexpressible(key, reason))
            continue
        trimmed = _trimmed(kind, attributes)
        if trimmed is not None:
            kept[key] = trimmed
        left_out += _unexpressible_attributes(key, kind, attributes)
    return kept, left_out


def _schema_of(key: str) -> str:
    return key.split(" ", 1)[1].split(".", 1)[0]


def _unexpressible(key: str, kind: str, attributes: dict, backing: set[str]) -> str | None:
    """Return why Prisma cannot declare this object (None: it can, or it is left aside)."""
    if kind == "index":
        if key in backing:
            return None
        return None if index_spec(key, attributes) else "an index Prisma cannot declare " \
            "(partial, expression, INCLUDE, operator class or NULLS option)"
    if kind == "constraint":
        if attributes.get("type") == "u":
            return "a UNIQUE constraint (Prisma declares a unique index of the same name)"
        if attributes.get("type") in {"c", "x"}:
            return f"a {'CHECK' if attributes['type'] == 'c' else 'EXCLUDE'} constraint"
        if attributes.get("type") == "f" and not foreign_key_spec(key, attributes):
            return "a foreign key Prisma cannot declare (DEFERRABLE, NOT VALID or MATCH)"
        return None
    if kind == "sequence":
        return None if attributes.get("owned_by") else "a sequence no column owns"
    if kind == "schema":
        return None if key == "schema public" else "a schema Prisma does not create"
    if kind in {"table", "column", "enum"}:
        return None
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _trimmed(kind: str, attributes: dict) -> dict | None:
    if kind == "table":
        return {"kind": attributes.get("kind")}
    if kind == "column":
        return {name: attributes.get(name) for name in _COLUMN_ATTRIBUTES}
    if kind in {"index", "constraint"}:
        return {"definition": attributes.get("definition")}
    if kind == "enum":
        return {"labels": attributes.get("labels")}
    if kind == "schema":
        return None
    return dict(attributes)


def _unexpressible_attributes(key: str, kind: str, attributes: dict) -> list[Unexpressible]:
    found = []
    if kind == "table":
        if attributes.get("row_security"):
            found.append(Unexpressible(key, "row level security"))
        if attributes.get("partition_key") or attributes.get("partition_of"):
            found.append(Unexpressible(key, "partitioning"))
        if attributes.get("unlogged"):
            found.append(Unexpressible(key, "UNLOGGED"))
    if kind == "column":
        for name in ("identity", "generated", "collation"):
            if attributes.get(name):
                found.append(Unexpressible(key, f"{name} {attributes[name]}"))
    if attributes.get("comment") and kind != "schema":
        found.append(Unexpressible(key, "a comment"))
    return found


def index_spec(key: str, attributes: dict) -> IndexSpec | None:
    """Return the plain index `attributes` defines, None when Prisma cannot declare it."""
    match = _INDEX.match(attributes.get("definition") or "")
    if not match or match.group(4) not in _METHODS:
        return None
    items = _split_top(match.group(5))
    if items is None:
        return None
    columns = []
    for item in items:
        key_item = _KEY_ITEM.match(item)
        if not key_item:
            return None
        columns.append((_unquoted(key_item.group(1)), bool(key_item.group(2))))
    table = _unquoted(match.group(3).split(".")[-1])
    return IndexSpec(key.split(".", 1)[1], table, bool(match.group(1)), tuple(columns),
                     match.group(4))


def foreign_key_spec(key: str, attributes: dict) -> ForeignKeySpec | None:
    """Return the foreign key `attributes` defines, None when Prisma cannot declare it."""
    match = _FOREIGN_KEY.match(attributes.get("definition") or "")
    if not match:
        return None
    actions = dict(re.findall(r" ON (UPDATE|DELETE) (CASCADE|SET NULL|SET DEFAULT|RESTRICT|"
                              r"NO ACTION)", match.group(4)))
    _, table, name = key.split(" ", 1)[1].split(".", 2)
    return ForeignKeySpec(
        name, table, tuple(_unquoted(c.strip()) for c in match.group(1).split(",")),
        _unquoted(match.group(2).split(".")[-1]),
        tuple(_unquoted(c.strip()) for c in match.group(3).split(",")),
        _ACTIONS[actions.get("DELETE", "NO ACTION")], _ACTIONS[actions.get("UPDATE", "NO ACTION")])


def _split_top(text: str) -> list[str] | None:
    """Split index keys at top-level commas; None when an item holds parentheses."""
    items = [item.strip() for item in text.split(",")]
    return None if any("(" in item or ")" in item for item in items) else items


def _unquoted(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name


def _changes_for(key: str, wanted: dict | None, declared: dict | None,
                 schema: PrismaSchema) -> list[AttributeChange]:
    """Return the change(s) that turn what Prisma declares for `key` into what head wants."""
    kind = key.split(" ", 1)[0]
    changes = []
    if declared is not None and wanted is not None and kind in {"column", "table", "enum",
                                                                "sequence"}:
        return [_describe(key, wanted, declared, schema, "change")]
    if declared is not None:
        changes.append(_describe(key, declared, None, schema, "remove"))
    if wanted is not None:
        changes.append(_describe(key, wanted, None, schema, "add"))
    return changes


def _describe(key: str, attributes: dict, declared: dict | None, schema: PrismaSchema,
              action: str) -> AttributeChange:
    kind, name = key.split(" ", 1)
    if kind == "index":
        return _index_change(key, index_spec(key, attributes), schema, action)
    if kind == "constraint" and attributes["definition"].startswith("FOREIGN KEY"):
        return _relation_change(key, foreign_key_spec(key, attributes), schema, action)
    table = name.split(".")[1] if "." in name else name
    model = schema.model_for_table(table)
    model_name = model.name if model else table
    if kind == "constraint":
        return AttributeChange(model_name, action, "primary key",
                               f"{attributes['definition']} ({name.rsplit('.', 1)[1]})", key)
    if kind == "table":
        return AttributeChange(model_name, action, "model", f"model {model_name} (table "
                               f"{table})", key)
    if kind == "column":
        column = name.split(".", 2)[2]
        field = model.field_for_column(column) if model else None
        wanted = _column_text(attributes)
        text = f"field {field.name if field else column} ({wanted}" + (
            f"; Prisma's schema gives {_column_text(declared)})" if declared else ")")
        line = _field_write(action, model, field, column, attributes, schema)
        return AttributeChange(model_name, action, "field", text, key, line is not None, line,
                               field.name if field and action != "add" else None)
    if kind == "enum" and action in {"add", "change"} and name.startswith("public."):
        enum = name.split(".", 1)[1]
        declared_text = enum_lines(schema, enum)
        block = enum_block(enum, attributes.get("labels") or [], enum_names(schema, enum))
        writable = block is not None and (action == "add" or declared_text is not None)
        return AttributeChange(enum, action, "enum", f"enum {enum} {attributes}", key, writable,
                               block)
    return AttributeChange(model_name, action, kind, f"{kind} {name} {attributes}", key)


def enum_lines(schema: PrismaSchema, name: str) -> tuple[int, int] | None:
    """The first and last line of enum `name` in `schema` (None: absent, or the enum itself
    is mapped by `@@map`)."""
    for number, line in enumerate(schema.lines):
        if re.match(rf"^\s*enum\s+{re.escape(name)}\s*\{{", line):
            end = next(i for i in range(number + 1, len(schema.lines))
                       if schema.lines[i].strip().startswith("}"))
            if any("@@map" in schema.lines[i] for i in range(number, end)):
                return None
            return number, end
    return None


def _field_write(action: str, model, field, column: str, attributes: dict,
                 schema: PrismaSchema) -> str | None:
    """Return the field line `prisma write` writes for a column change ("" to remove the
    field), None when it cannot: no model, a type or default Prisma cannot say, or a field
    a relation or the primary key uses."""
    from nivomigrate.prisma.fields import changed_field_line, field_line

    if model is None:
        return None
    if action == "add":
        return None if field else field_line(column, attributes, schema.enums)
    if field is None or _used_by_key(model, field.name):
        return None
    if action == "remove":
        return ""
    return changed_field_line(schema.lines[field.line], attributes, schema.enums)


def _used_by_key(model, name: str) -> bool:
    """Whether a relation's `fields: [...]` or `@@id` of `model` names field `name`."""
    from nivomigrate.prisma.schema import attribute_arguments, field_list, named_argument

    for other in model.fields:
        fields = named_argument(attribute_arguments(other.attributes, "@relation") or [],
                                "fields")
        if fields and name in [item for item, _ in field_list(fields)]:
            return True
    return any(a.name == "id" and re.search(rf"\b{re.escape(name)}\b", a.text)
               for a in model.attributes)


def _column_text(attributes: dict) -> str:
    return (f"{attributes.get('type')}{' not null' if attributes.get('not_null') else ''}"
            + (f" default {attributes['default']}" if attributes.get("default") else ""))


def _index_change(key: str, spec: IndexSpec | None, schema: PrismaSchema,
                  action: str) -> AttributeChange:
    """An index said as `@@index([...])` / `@@unique([...])` on its model."""
    model = schema.model_for_table(spec.table) if spec else None
    if spec is None or model is None:
        return AttributeChange(spec.table if spec else "?", action, "index", key, key)
    fields = []
    for column, descending in spec.columns:
        field = model.field_for_column(column)
        fields.append((field.name if field else column) + ("(sort: Desc)" if descending else ""))
    options = [f"[{', '.join(fields)}]"]
    suffix = "key" if spec.unique else "idx"
    if spec.name != default_name(spec.table, [c for c, _ in spec.columns], suffix):
        options.append(f'map: "{spec.name}"')
    if _METHODS[spec.method]:
        options.append(f"type: {_METHODS[spec.method]}")
    attribute = f"@@{'unique' if spec.unique else 'index'}({', '.join(options)})"
    known = all(model.field_for_column(column) for column, _ in spec.columns)
    declared = any(d.name == spec.name for d in declared_indexes(model))
    writable = known if action == "add" else declared
    return AttributeChange(model.name, action, "unique" if spec.unique else "index", attribute,
                           key, writable, spec, spec.name if action == "remove" else None)


def _relation_change(key: str, spec: ForeignKeySpec, schema: PrismaSchema,
                     action: str) -> AttributeChange:
    """A foreign key said as the `@relation(...)` of its relation field."""
    model = schema.model_for_table(spec.table)
    referenced = schema.model_for_table(spec.referenced_table)
    if model is None:
        return AttributeChange(spec.table, action, "relation", key, key)
    fields = ", ".join(_field_name(model, c) for c in spec.columns)
    references = ", ".join(_field_name(referenced, c) if referenced else c
                           for c in spec.referenced_columns)
    options = [f"fields: [{fields}]", f"references: [{references}]",
               f"onDelete: {spec.on_delete}", f"onUpdate: {spec.on_update}"]
    if spec.name != default_name(spec.table, list(spec.columns), "fkey"):
        options.append(f'map: "{spec.name}"')
    relation = next((r for r in declared_relations(model) if r.name == spec.name), None)
    where = f"field {relation.field}: " if relation else \
        f"a relation field to {referenced.name if referenced else spec.referenced_table}: "
    attribute = where + f"@relation({', '.join(options)})"
    return AttributeChange(model.name, action, "relation", attribute, key, False, spec,
                           spec.name if action == "remove" else None)


def _with_new_fields(changes: list[AttributeChange], schema: PrismaSchema
                     ) -> list[AttributeChange]:
    """Make an index on a field that `prisma write` adds in the same pass writable too (the
    new field is named as its column)."""
    from dataclasses import replace

    added = {(c.model, c.key.split(".", 2)[2]) for c in changes
             if c.target == "field" and c.action == "add" and c.writable}
    result = []
    for change in changes:
        model = schema.model(change.model)
        if change.target in {"index", "unique"} and change.action == "add" and \
                not change.writable and change.spec is not None and model is not None and \
                all(model.field_for_column(column) or (change.model, column) in added
                    for column, _ in change.spec.columns):
            change = replace(change, writable=True)
        result.append(change)
    return result


def _with_new_models(changes: list[AttributeChange], schema: PrismaSchema,
                     head_objects: dict) -> list[AttributeChange]:
    """Make the changes of a table head has and schema.prisma lacks writable when it can be
    said as a model (nivomigrate.prisma.new_models): the model's change carries it."""
    from dataclasses import replace

    from nivomigrate.prisma.new_models import new_models

    if not any(c.target == "model" and c.action == "add" for c in changes):
        return changes
    models = new_models(schema, head_objects, (foreign_key_spec, index_spec))
    keys = {key: table for table, model in models.items() for key in model.keys}
    result = []
    for change in changes:
        table = keys.get(change.key)
        if table is not None and change.action == "add":
            change = replace(change, writable=True,
                             spec=models[table] if change.target == "model" else change.spec)
        result.append(change)
    return result


def _with_relation_fields(changes: list[AttributeChange], schema: PrismaSchema,
                          head_objects: dict) -> list[AttributeChange]:
    """Make a foreign key added between two existing models writable as its relation field
    and list field (spec: nivomigrate.prisma.new_models.RelationLines), and one removed
    writable as the removal of both fields (when the list field is the only one back)."""
    from dataclasses import replace

    from nivomigrate.prisma.new_models import relation_lines

    added = {(c.model, c.key.split(".", 2)[2]) for c in changes
             if c.target == "field" and c.action == "add" and c.writable}
    result = []
    for change in changes:
        if change.target == "relation" and not change.writable and change.spec is not None:
            model = schema.model(change.model)
            spec = change.spec
            if change.action == "add" and model is not None:
                optional = not all(head_objects.get(f"column public.{spec.table}.{c}", {})
                                   .get("not_null") for c in spec.columns)
                new_columns = frozenset(column for name, column in added
                                        if name == model.name)
                lines = relation_lines(schema, model.name, spec, optional, new_columns)
                if lines is not None:
                    change = replace(change, writable=True, spec=lines)
            elif change.action == "remove" and model is not None and \
                    back_field(schema, model, spec) is not None:
                change = replace(change, writable=True)
        result.append(change)
    return result


def back_field(schema: PrismaSchema, model, spec):
    """The field of the referenced model that lists `model` for this relation: the one that
    does, or the one with the relation's name (a self-relation, or one of two relations
    between the same models); None when none or several could be it."""
    from nivomigrate.prisma.schema import declared_relations

    relation = next((r for r in declared_relations(model) if r.name == spec.name), None)
    referenced = schema.model_for_table(spec.referenced_table)
    if relation is None or referenced is None:
        return None
    back = [f for f in referenced.fields if f.base_type == model.name and f.name != relation.field]
    holders = [f for f in model.fields if f.base_type == referenced.name]
    if referenced.name != model.name and len(back) == 1 and len(holders) == 1:
        return back[0]
    holder = next(f for f in model.fields if f.name == relation.field)
    label = relation_label(holder)
    named = [f for f in back if label is not None and relation_label(f) == label]
    return named[0] if len(named) == 1 else None


def relation_label(field) -> str | None:
    """The relation's name a field gives (`@relation("name", ...)` or `name: "..."`)."""
    from nivomigrate.prisma.schema import attribute_arguments, named_argument

    arguments = attribute_arguments(field.attributes, "@relation") or []
    label = arguments[0] if arguments and arguments[0].startswith('"') else \
        named_argument(arguments, "name")
    return label.strip('"') if label else None


def _field_name(model, column: str) -> str:
    field = model.field_for_column(column)
    return field.name if field else column


def _paired_relations(changes: list[AttributeChange], schema: PrismaSchema
                      ) -> list[AttributeChange]:
    """Make a foreign key Prisma declares and one head wants, on the same columns and
    referenced table, one writable change of the relation field's `@relation(...)`."""
    removed = {(c.spec.table, c.spec.columns, c.spec.referenced_table): c for c in changes
               if c.target == "relation" and c.action == "remove" and c.spec}
    paired, dropped = [], set()
    for change in changes:
        if change.target == "relation" and change.action == "add" and change.spec:
            spec = change.spec
            old = removed.get((spec.table, spec.columns, spec.referenced_table))
            model = schema.model_for_table(spec.table)
            relation = next((r for r in declared_relations(model) if old and r.name ==
                             old.spec.name), None) if model else None
            if old and relation:
                dropped.add(old.key)
                text = change.attribute.split(": ", 1)[1]
                paired.append(AttributeChange(change.model, "change", "relation",
                                              f"field {relation.field}: {text}", change.key,
                                              True, spec, old.spec.name))
                continue
        paired.append(change)
    return [c for c in paired if not (c.action == "remove" and c.key in dropped)]
