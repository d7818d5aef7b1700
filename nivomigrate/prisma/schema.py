"""Read the parts of a schema.prisma that map to the database: models, fields, attributes.

Written by hand: no Python library reads Prisma's schema language, and Prisma's own parser
(its WebAssembly engine) returns no positions. Only what nivomigrate needs is read, line by
line, as `prisma format` lays it out: one field or block attribute per line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_BLOCK = re.compile(r"^\s*(model|enum|view|type)\s+(\w+)\s*\{")
_MAP = re.compile(r'@@?map\(\s*(?:name:\s*)?"([^"]+)"')
_MAX_IDENTIFIER = 63  # PostgreSQL's NAMEDATALEN - 1


@dataclass(frozen=True)
class PrismaField:
    """One field line: `name Type @attributes // comment` (`line` counts from 0)."""

    name: str
    type: str
    column: str
    attributes: str
    line: int

    @property
    def base_type(self) -> str:
        return self.type.rstrip("?[]").split("(")[0]


@dataclass(frozen=True)
class BlockAttribute:
    """One `@@name(...)` line of a model; `text` without its trailing comment."""

    name: str
    text: str
    line: int


@dataclass(frozen=True)
class PrismaModel:
    name: str
    table: str
    start: int
    end: int
    fields: tuple[PrismaField, ...]
    attributes: tuple[BlockAttribute, ...]

    def field_for_column(self, column: str) -> PrismaField | None:
        return next((f for f in self.fields if f.column == column), None)

    def column_for_field(self, name: str) -> str:
        field = next((f for f in self.fields if f.name == name), None)
        return field.column if field else name


@dataclass(frozen=True)
class PrismaSchema:
    """The models of one schema.prisma and its lines (without line ends)."""

    lines: tuple[str, ...]
    models: tuple[PrismaModel, ...]
    enums: tuple[str, ...]
    final_newline: bool = True

    def model_for_table(self, table: str) -> PrismaModel | None:
        return next((m for m in self.models if m.table == table), None)

    def model(self, name: str) -> PrismaModel | None:
        return next((m for m in self.models if m.name == name), None)


def without_comment(line: str) -> str:
    """Return `line` without its `//` comment (not one inside a string), right-stripped."""
    in_string = False
    for index, char in enumerate(line):
        if char == '"' and (index == 0 or line[index - 1] != "\\"):
            in_string = not in_string
        elif not in_string and line.startswith("//", index):
            return line[:index].rstrip()
    return line.rstrip()


def read_schema(text: str) -> PrismaSchema:
    """Read the models (with their fields and block attributes) and enum names of `text`."""
    lines = tuple(text.splitlines())
    blocks = []
    index = 0
    while index < len(lines):
        match = _BLOCK.match(lines[index])
        if not match:
            index += 1
            continue
        end = next(i for i in range(index + 1, len(lines)) if lines[i].strip().startswith("}"))
        blocks.append((match.group(1), match.group(2), index, end))
        index = end + 1
    block_names = {name for kind, name, _, _ in blocks if kind in {"model", "view", "type"}}
    models = tuple(_model(lines, name, start, end, block_names)
                   for kind, name, start, end in blocks if kind == "model")
    enums = tuple(name for kind, name, _, _ in blocks if kind == "enum")
    return PrismaSchema(lines, models, enums, text.endswith("\n"))


def _model(lines: tuple[str, ...], name: str, start: int, end: int,
           block_names: set[str]) -> PrismaModel:
    fields, attributes, table = [], [], name
    for number in range(start + 1, end):
        code = without_comment(lines[number]).strip()
        if not code:
            continue
        if code.startswith("@@"):
            attribute = re.match(r"@@(\w+)", code).group(1)
            attributes.append(BlockAttribute(attribute, code, number))
            if attribute == "map":
                table = _MAP.search(code).group(1)
            continue
        parts = code.split(None, 2)
        if len(parts) < 2:
            continue
        rest = parts[2] if len(parts) > 2 else ""
        base = parts[1].rstrip("?[]")
        if base in block_names:
            column = ""  # a relation field: no column of its own
        else:
            mapped = _MAP.search(rest)
            column = mapped.group(1) if mapped else parts[0]
        fields.append(PrismaField(parts[0], parts[1], column, rest, number))
    return PrismaModel(name, table, start, end, tuple(fields), tuple(attributes))


def split_arguments(text: str) -> list[str]:
    """Split `a, b(x: 1, y: 2), [c, d]` at its top-level commas."""
    parts, depth, current, in_string = [], 0, "", False
    for char in text:
        if char == '"':
            in_string = not in_string
        elif not in_string and char in "([":
            depth += 1
        elif not in_string and char in ")]":
            depth -= 1
        if char == "," and depth == 0 and not in_string:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def attribute_arguments(text: str, name: str) -> list[str] | None:
    """Return the top-level arguments of attribute `name` (`@@index`, `@relation`) in `text`.

    Returns `[]` for the attribute without parentheses, `None` when `text` lacks it.
    """
    match = re.search(re.escape(name) + r"(?![\w])", text)
    if match is None:
        return None
    if not text.startswith("(", match.end()):
        return []
    depth = 0
    for index in range(match.end(), len(text)):
        depth += {"(": 1, ")": -1}.get(text[index], 0)
        if depth == 0:
            return split_arguments(text[match.end() + 1:index])
    return split_arguments(text[match.end() + 1:])


def named_argument(arguments: list[str], key: str) -> str | None:
    """Return the value of `key: value` among `arguments` (quotes kept), else None."""
    for argument in arguments:
        if re.match(re.escape(key) + r"\s*:", argument):
            return argument.split(":", 1)[1].strip()
    return None


def field_list(argument: str) -> list[tuple[str, str]]:
    """Return [(field, options)] of `[a, b(sort: Desc)]`; options are "" or `sort: Desc`."""
    items = split_arguments(argument.strip()[1:-1])
    return [(item.split("(", 1)[0].strip(),
             item.split("(", 1)[1].rstrip(")").strip() if "(" in item else "") for item in items]


def default_name(table: str, columns: list[str], suffix: str) -> str:
    """Return the name Prisma gives a constraint or index: `Table_a_b_idx`, within 63 bytes."""
    return f"{table}_{'_'.join(columns)}"[: _MAX_IDENTIFIER - len(suffix) - 1] + f"_{suffix}"


@dataclass(frozen=True)
class DeclaredIndex:
    """An index or unique a model declares: by `@@index`/`@@unique` (`field` None) or by a
    field's `@unique` (`field` names it); `name` is the database name it gets."""

    name: str
    unique: bool
    line: int
    field: str | None = None


def declared_indexes(model: PrismaModel) -> list[DeclaredIndex]:
    """Return the indexes and uniques `model` declares, with the names Prisma gives them."""
    found = []
    for attribute in model.attributes:
        if attribute.name not in {"index", "unique"}:
            continue
        arguments = attribute_arguments(attribute.text, "@@" + attribute.name) or []
        fields = arguments[0] if arguments and arguments[0].startswith("[") else \
            named_argument(arguments, "fields") or "[]"
        columns = [model.column_for_field(name) for name, _ in field_list(fields)]
        suffix = "key" if attribute.name == "unique" else "idx"
        mapped = named_argument(arguments, "map")
        name = mapped.strip('"') if mapped else default_name(model.table, columns, suffix)
        found.append(DeclaredIndex(name, attribute.name == "unique", attribute.line))
    for field in model.fields:
        arguments = attribute_arguments(field.attributes, "@unique")
        if arguments is not None:
            mapped = named_argument(arguments, "map")
            name = mapped.strip('"') if mapped else default_name(model.table, [field.column],
                                                                  "key")
            found.append(DeclaredIndex(name, True, field.line, field.name))
    return found


@dataclass(frozen=True)
class DeclaredRelation:
    """A relation field that holds the foreign key (`@relation(fields: ...)`)."""

    field: str
    name: str
    columns: tuple[str, ...]
    line: int


def declared_relations(model: PrismaModel) -> list[DeclaredRelation]:
    """Return the relation fields of `model` that hold a foreign key, with its database name."""
    found = []
    for field in model.fields:
        arguments = attribute_arguments(field.attributes, "@relation")
        fields = named_argument(arguments or [], "fields")
        if not fields:
            continue
        columns = tuple(model.column_for_field(name) for name, _ in field_list(fields))
        mapped = named_argument(arguments, "map")
        name = mapped.strip('"') if mapped else default_name(model.table, list(columns), "fkey")
        found.append(DeclaredRelation(field.name, name, columns, field.line))
    return found
