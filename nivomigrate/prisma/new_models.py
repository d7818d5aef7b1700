"""A table head has and schema.prisma lacks, said as a Prisma model (and its back-relations).

`prisma write` adds the model after the file's last line: one field per column (the catalog's
type and default, nivomigrate.prisma.fields), `@id` / `@@id` from the primary key, a relation
field per foreign key (`@relation(fields: ..., references: ..., onDelete: ..., onUpdate: ...)`)
with its list field on the referenced model, and `@@index` / `@@unique` per index. Fields
follow the primary key first, then the columns by name (the catalog's order is not among what
the comparison keeps; Prisma's order decides only where `db push` would put a column).

Written by hand for the reason write.py is: `prisma db pull` would render it, but needs the
native engine. A table with a column Prisma cannot type, a name that is no Prisma identifier
or an index Prisma cannot declare is left for a hand edit (None).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nivomigrate.prisma.schema import PrismaSchema, default_name

_IDENTIFIER = re.compile(r"[A-Za-z]\w*")
_PRIMARY_KEY = re.compile(r"^PRIMARY KEY \((.+)\)$")
_METHODS = {"btree": None, "hash": "Hash", "gist": "Gist", "gin": "Gin", "spgist": "SpGist",
            "brin": "Brin"}


@dataclass(frozen=True)
class NewModel:
    """The model block to append, the list fields to add on referenced models (model name ->
    field lines), and the comparison keys it declares."""

    block: str
    back_relations: dict[str, tuple[str, ...]]
    keys: frozenset[str]


def new_models(schema: PrismaSchema, head_objects: dict, specs) -> dict[str, NewModel]:
    """Return the models (by table) that declare head's tables schema.prisma lacks; a table
    Prisma cannot declare as it is is left out, and so is one referencing it. `specs` is
    nivomigrate.prisma.compare's (foreign_key_spec, index_spec), passed in (compare calls
    this module).

    A new model may reference another new model or itself: the relation field and the list
    field are written in the new blocks (a self-relation, and a second relation between two
    models, named on both sides as Prisma requires)."""
    declared = {model.table for model in schema.models}
    tables = sorted({key.split(".", 1)[1] for key in head_objects
                     if key.startswith("table public.")} - declared)
    candidates = {t for t in tables if _IDENTIFIER.fullmatch(t)}
    while True:  # until every model found references only models that exist or are found
        parts = {table: _new_model(schema, head_objects, table, specs, candidates)
                 for table in sorted(candidates)}
        failed = {table for table, part in parts.items() if part is None}
        if not failed:
            break
        candidates -= failed
    found = {}
    for table, (body, attributes, back, keys) in parts.items():
        lists = [line for other in parts.values() for line in other[2].get(table, ())]
        lines = body + lists
        if attributes:
            lines += [""] + [f"  {attribute}" for attribute in attributes]
        block = f"model {table} {{\n" + "\n".join(lines) + "\n}\n"
        found[table] = NewModel(block, {name: lines for name, lines in back.items()
                                        if name not in parts}, frozenset(keys))
    return found


@dataclass(frozen=True)
class _Referenced:
    """A model a foreign key references: its name, field name by column, taken names."""

    name: str
    fields: dict[str, str]
    taken: frozenset[str]


def _referenced(schema: PrismaSchema, objects: dict, table: str, new: set[str]
                ) -> _Referenced | None:
    model = schema.model_for_table(table)
    if model is not None:
        return _Referenced(model.name, {f.column: f.name for f in model.fields if f.column},
                           frozenset(f.name for f in model.fields))
    if table not in new:
        return None
    columns = [key.rsplit(".", 1)[1] for key in objects
               if key.startswith(f"column public.{table}.")]
    return _Referenced(table, {c: c for c in columns}, frozenset(columns))


def _new_model(schema: PrismaSchema, objects: dict, table: str, specs, new: set[str]):
    """(field lines, block attributes, list fields by referenced model, keys) of the model
    of `table`, None when Prisma cannot declare it as it is."""
    from nivomigrate.prisma.fields import field_line

    foreign_key_spec, index_spec = specs

    keys = {f"table public.{table}"}
    columns = {key.rsplit(".", 1)[1]: value for key, value in objects.items()
               if key.startswith(f"column public.{table}.")}
    keys |= {f"column public.{table}.{column}" for column in columns}
    constraints = {key: value for key, value in objects.items()
                   if key.startswith(f"constraint public.{table}.")}
    keys |= set(constraints)
    primary, primary_name, foreign = [], None, []
    for key, value in constraints.items():
        match = _PRIMARY_KEY.match(value.get("definition") or "")
        if match:
            primary = [_unquoted(c.strip()) for c in match.group(1).split(",")]
            primary_name = key.rsplit(".", 1)[1]
            continue
        spec = foreign_key_spec(key, value)
        if spec is None:
            return None
        foreign.append(spec)
    if not primary or not all(_IDENTIFIER.fullmatch(c) for c in columns):
        return None
    lines = {}
    for column in sorted(columns, key=lambda c: (c not in primary, primary.index(c)
                                                 if c in primary else 0, c)):
        line = field_line(column, columns[column], schema.enums)
        if line is None:
            return None
        if primary == [column]:
            line += " @id" + _map(primary_name, _primary_key_name(table), "(map: ")
        lines[column] = line
    relations = _relations(schema, objects, table, foreign, columns, new)
    if relations is None:
        return None
    relation_lines, back = relations
    attributes = []
    if len(primary) > 1:
        attributes.append(f"@@id([{', '.join(primary)}]"
                          + _map(primary_name, _primary_key_name(table), ", map: ")
                          + ")")
    for key, value in sorted(objects.items()):
        if not key.startswith("index public.") or \
                not re.search(rf' ON public\."?{re.escape(table)}"? ', value.get("definition", "")):
            continue
        keys.add(key)
        if key.rsplit(".", 1)[1] == primary_name:
            continue
        spec = index_spec(key, value)
        if spec is None:
            return None
        attributes.append(_index_attribute(spec))
    return list(lines.values()) + relation_lines, attributes, back, keys


def _relations(schema: PrismaSchema, objects: dict, table: str, foreign: list, columns: dict,
               new: set[str]) -> tuple[list[str], dict[str, tuple[str, ...]]] | None:
    """The relation field of each foreign key, and the list fields of the referenced models
    (None: a foreign key to a table that has no model and gets none)."""
    lines, back = [], {}
    taken = set(columns)
    counts: dict[str, int] = {}
    for spec in foreign:
        counts[spec.referenced_table] = counts.get(spec.referenced_table, 0) + 1
    for spec in sorted(foreign, key=lambda s: s.name):
        referenced = _referenced(schema, objects, spec.referenced_table, new)
        if referenced is None:
            return None
        model_name = referenced.name
        named = counts[spec.referenced_table] > 1 or spec.referenced_table == table
        name = _free(relation_field_name(spec.columns, model_name, named), taken)
        optional = not all(columns[c].get("not_null") for c in spec.columns)
        relation_name = f'"{spec.name}", ' if named else ""
        references = [referenced.fields.get(c, c) for c in spec.referenced_columns]
        arguments = (f"{relation_name}fields: [{', '.join(spec.columns)}], references: "
                     f"[{', '.join(references)}], onDelete: {spec.on_delete}, onUpdate: "
                     f"{spec.on_update}" + _map(spec.name, default_name(
                         table, list(spec.columns), "fkey"), ", map: "))
        lines.append(f"  {name} {model_name}{'?' if optional else ''} @relation({arguments})")
        taken_there = set(referenced.taken) | set(back.get(model_name, ()))
        if model_name == table:
            taken_there |= taken
        list_name = _free(list_field_name(table, name, named), taken_there)
        if model_name == table:
            taken.add(list_name)
        back[model_name] = back.get(model_name, ()) + (
            f"  {list_name} {table}[]" + (f' @relation("{spec.name}")' if named else ""),)
    return lines, back


def relation_field_name(columns: tuple[str, ...], model_name: str, named: bool) -> str:
    """The relation field's name: the model's (`user` for User), or for a named relation
    (a self-relation, a second one between two models) its column's without `Id`
    (`parent` for parentId, `createdBy` for createdById)."""
    column = columns[0] if len(columns) == 1 else ""
    if named and column.endswith("Id") and len(column) > 2:
        return column[:-2]
    return model_name[0].lower() + model_name[1:]


def list_field_name(model_name: str, relation_field: str, named: bool) -> str:
    """The list field's name on the referenced model: `projects` for model Project, or for a
    named relation the relation field's name before it (`createdByProjects`)."""
    if named:
        return relation_field + model_name + "s"
    return model_name[0].lower() + model_name[1:] + "s"


@dataclass(frozen=True)
class RelationLines:
    """A foreign key said in Prisma: the relation field of the model that holds it and the
    list field of the model it references."""

    field: str
    back: str
    referenced: str  # the referenced model's name


def relation_lines(schema: PrismaSchema, model_name: str, spec, optional: bool,
                   added: frozenset[str] = frozenset()) -> RelationLines | None:
    """Return the relation field (on `model_name`) and list field (on the referenced model) of
    foreign key `spec`, None when the referenced table has no model. A self-relation, or a
    relation between two models another relation already joins, is named on both sides
    (`@relation("<foreign key's name>", ...)`), as Prisma requires to tell them apart.
    `added`: the model's columns whose fields `prisma write` adds in the same pass (named as
    the column)."""
    model = schema.model(model_name)
    referenced = schema.model_for_table(spec.referenced_table)
    if model is None or referenced is None:
        return None
    named = referenced.name == model.name or \
        any(f.base_type == referenced.name for f in model.fields) or \
        any(f.base_type == model.name for f in referenced.fields)
    fields = [model.field_for_column(c) or (c if c in added else None) for c in spec.columns]
    references = [referenced.field_for_column(c) for c in spec.referenced_columns]
    if not all(fields) or not all(references):
        return None
    fields = [getattr(f, "name", f) for f in fields]
    taken = {f.name for f in model.fields} | set(added)
    name = _free(relation_field_name(spec.columns, referenced.name, named), taken)
    arguments = (f"fields: [{', '.join(fields)}], references: "
                 f"[{', '.join(f.name for f in references)}], onDelete: {spec.on_delete}, "
                 f"onUpdate: {spec.on_update}" + _map(spec.name, default_name(
                     model.table, list(spec.columns), "fkey"), ", map: "))
    relation_name = f'"{spec.name}", ' if named else ""
    there = {f.name for f in referenced.fields} | (taken if referenced is model else set())
    list_name = _free(list_field_name(model.name, name, named), there)
    return RelationLines(f"  {name} {referenced.name}{'?' if optional else ''} "
                         f"@relation({relation_name}{arguments})",
                         f"  {list_name} {model.name}[]" + (f' @relation("{spec.name}")'
                                                            if named else ""),
                         referenced.name)


def _primary_key_name(table: str) -> str:
    """The name Prisma gives a primary key: `Table_pkey`, within 63 bytes."""
    return table[:63 - len("_pkey")] + "_pkey"


def _index_attribute(spec) -> str:
    options = [f"[{', '.join(c + ('(sort: Desc)' if d else '') for c, d in spec.columns)}]"]
    suffix = "key" if spec.unique else "idx"
    if spec.name != default_name(spec.table, [c for c, _ in spec.columns], suffix):
        options.append(f'map: "{spec.name}"')
    if _METHODS.get(spec.method):
        options.append(f"type: {_METHODS[spec.method]}")
    return f"@@{'unique' if spec.unique else 'index'}({', '.join(options)})"


def _map(name: str | None, default: str, prefix: str) -> str:
    if name is None or name == default:
        return ""
    return f'{prefix}"{name}")' if prefix.startswith("(") else f'{prefix}"{name}"'


def _free(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}{number}", number + 1
    taken.add(candidate)
    return candidate


def _unquoted(name: str) -> str:
    return name[1:-1].replace('""', '"') if name.startswith('"') else name
