"""Rewrite schema.prisma's models in place: index, unique and relation attributes, and
scalar fields (nivomigrate.prisma.fields); a model head has and the file lacks is added at the
end, with its list fields on the models it references (nivomigrate.prisma.new_models).

Written by hand: `prisma format` rewrites a whole file and `prisma db pull` (which would
render head) needs the native engine. Every other line is kept as it is, comments included:
a line is only removed (an `@@index`/`@@unique` or a field head lacks), added (one head has,
after the model's last block attribute or field) or edited (a field's `@unique`, a
`@relation(...)`, a field's type and default).
"""

from __future__ import annotations

import re
from collections import defaultdict

from nivomigrate.prisma.compare import AttributeChange, ForeignKeySpec
from nivomigrate.prisma.schema import (
    PrismaModel,
    PrismaSchema,
    attribute_arguments,
    declared_indexes,
    named_argument,
    without_comment,
)

_INDENT = "  "


def apply_changes(schema: PrismaSchema, changes: tuple[AttributeChange, ...]) -> str:
    """Return the text of `schema` with its writable `changes` made (the others are left)."""
    deleted: set[int] = set()
    edited: dict[int, str] = {}
    inserted: dict[int, list[str]] = defaultdict(list)
    touched: set[str] = set()
    blocks = []
    for change in changes:
        if change.writable and change.target == "model" and change.action == "add":
            blocks.append(change.spec.block)
            for name, lines in change.spec.back_relations.items():
                referenced = schema.model(name)
                touched.add(name)
                inserted[max(f.line for f in referenced.fields)] += list(lines)
            continue
        if change.writable and change.target == "enum":
            from nivomigrate.prisma.compare import enum_lines

            where = enum_lines(schema, change.model) if change.action == "change" else None
            if where is None:
                blocks.append(change.spec)
            else:  # the block's lines replaced by the new one
                deleted.update(range(where[0] + 1, where[1] + 1))
                edited[where[0]] = change.spec.rstrip("\n")
            continue
        model = schema.model(change.model)
        if not change.writable or model is None:
            continue
        touched.add(model.name)
        if change.target in {"index", "unique"} and change.action == "remove":
            _remove_index(schema, model, change.removes, deleted, edited)
        elif change.target in {"index", "unique"}:
            line = _insertion_line(schema, model)
            inserted[line].append(_INDENT + change.attribute)
        elif change.target == "field":
            _write_field(model, change, deleted, edited, inserted)
        elif change.target == "relation" and change.action == "add":
            referenced = schema.model(change.spec.referenced)
            touched.add(referenced.name)
            inserted[max(f.line for f in model.fields)].append(change.spec.field)
            inserted[max(f.line for f in referenced.fields)].append(change.spec.back)
        elif change.target == "relation" and change.action == "remove":
            from nivomigrate.prisma.compare import back_field

            deleted.add(_relation_line(model, change.removes))
            back = back_field(schema, model, change.spec)
            deleted.add(back.line)
            touched.add(schema.model_for_table(change.spec.referenced_table).name)
        elif change.target == "relation":
            relation_line = _relation_line(model, change.removes)
            line_text = edited.get(relation_line, schema.lines[relation_line])
            edited[relation_line] = _with_relation(line_text, change.spec, model, relation_line)
    text = _joined(schema, deleted, edited, inserted, touched)
    return text + "".join("\n" + block for block in blocks)


def _write_field(model: PrismaModel, change: AttributeChange, deleted: set[int],
                 edited: dict[int, str], inserted: dict[int, list[str]]) -> None:
    """Add a field after the model's last field, remove it, or rewrite its line."""
    field = next((f for f in model.fields if f.name == change.removes), None)
    if change.action == "add":
        inserted[max(f.line for f in model.fields)].append(change.spec)
    elif change.action == "remove":
        deleted.add(field.line)
    else:
        edited[field.line] = change.spec


def _remove_index(schema: PrismaSchema, model: PrismaModel, name: str | None,
                  deleted: set[int], edited: dict[int, str]) -> None:
    declared = next(d for d in declared_indexes(model) if d.name == name)
    if declared.field is None:
        deleted.add(declared.line)
        return
    text = edited.get(declared.line, schema.lines[declared.line])
    edited[declared.line] = re.sub(r"\s+@unique(?:\([^)]*\))?(?![\w(])", "", text, count=1)


def _insertion_line(schema: PrismaSchema, model: PrismaModel) -> int:
    """Return the line after which a new block attribute goes: the model's last index or
    unique (else its last block attribute, else its last line, after a blank line)."""
    indexes = [a.line for a in model.attributes if a.name in {"index", "unique", "id"}]
    others = [a.line for a in model.attributes]
    if indexes or others:
        return max(indexes or others)
    return model.end - 1


def _relation_line(model: PrismaModel, name: str | None) -> int:
    from nivomigrate.prisma.schema import declared_relations

    return next(r.line for r in declared_relations(model) if r.name == name)


def _with_relation(line: str, spec: ForeignKeySpec, model: PrismaModel, number: int) -> str:
    """Return the field line with its `@relation(...)` set to `spec`'s actions and name."""
    field = next(f for f in model.fields if f.line == number)
    start = line.index("@relation(")
    depth, end = 0, start
    for end in range(start + len("@relation"), len(line)):
        depth += {"(": 1, ")": -1}.get(line[end], 0)
        if depth == 0:
            break
    arguments = attribute_arguments(line[start:end + 1], "@relation") or []
    kept = [a for a in arguments if not re.match(r"(onDelete|onUpdate|map)\s*:", a)]
    defaults = {"onDelete": "SetNull" if field.type.endswith("?") else "Restrict",
                "onUpdate": "Cascade"}
    for key, value in (("onDelete", spec.on_delete), ("onUpdate", spec.on_update)):
        if named_argument(arguments, key) is not None or value != defaults[key]:
            kept.append(f"{key}: {value}")
    from nivomigrate.prisma.schema import default_name

    if spec.name != default_name(spec.table, list(spec.columns), "fkey"):
        kept.append(f'map: "{spec.name}"')
    return line[:start] + f"@relation({', '.join(kept)})" + line[end + 1:]


def _joined(schema: PrismaSchema, deleted: set[int], edited: dict[int, str],
            inserted: dict[int, list[str]], touched: set[str]) -> str:
    ends = {model.end for model in schema.models if model.name in touched}
    output: list[str] = []
    for number, line in enumerate(schema.lines):
        if number in ends and output and not output[-1].strip():
            output.pop()  # no blank line left before the closing brace
        if number not in deleted:
            output.append(edited.get(number, line))
        new = inserted.get(number, [])
        if new and new[0].strip().startswith("@@") and without_comment(line).strip() and \
                not without_comment(line).strip().startswith("@@") and number not in deleted:
            output.append("")  # the first block attribute: a blank line after the fields
        output += new
    return "\n".join(output) + ("\n" if schema.final_newline else "")
