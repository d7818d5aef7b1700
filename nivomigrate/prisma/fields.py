"""A column of the catalog said as a Prisma scalar field: `name Type? @default(...) @map(...)`.

The inverse of what Prisma's DDL does with a scalar field (text for String, timestamp(3)
for DateTime, jsonb for Json, ...). A column no Prisma scalar type makes as is (varchar(n),
an array NOT NULL, a default that is an expression Prisma cannot write) gives None: that
field is left for a hand edit.
"""

from __future__ import annotations

import re

from nivomigrate.prisma.schema import without_comment

_TYPES = {"text": "String", "integer": "Int", "bigint": "BigInt", "double precision": "Float",
          "boolean": "Boolean", "timestamp(3) without time zone": "DateTime", "jsonb": "Json",
          "numeric(65,30)": "Decimal", "bytea": "Bytes"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_STRING = re.compile(r"^'((?:[^']|'')*)'::(.+)$")
_DEFAULT_ATTRIBUTE = re.compile(r'\s*@default\((?:[^()"]|"[^"]*"|\([^()]*\))*\)')


def field_type(attributes: dict, enums: tuple[str, ...]) -> str | None:
    """Return the Prisma type (`String?`, `Int[]`, `Mode`) of a column, None if none fits."""
    sql_type = attributes.get("type") or ""
    array = sql_type.endswith("[]")
    base = sql_type[:-2] if array else sql_type
    name = _TYPES.get(base) or _enum(base, enums)
    if name is None or (array and attributes.get("not_null")):
        return None
    if array:
        return name + "[]"
    return name + ("" if attributes.get("not_null") else "?")


def _enum(sql_type: str, enums: tuple[str, ...]) -> str | None:
    name = sql_type.split(".", 1)[-1].strip('"')
    return name if name in enums else None


def enum_value_name(label: str) -> str:
    """The Prisma name of an enum label: the label itself when it is an identifier, else
    the label with `_` for each other character (`in-progress`: `in_progress`, mapped by
    `@map("in-progress")`), `V` before one that does not start with a letter."""
    if re.fullmatch(r"[A-Za-z]\w*", label):
        return label
    value = re.sub(r"\W", "_", label)
    return value if re.match(r"[A-Za-z]", value) else "V" + value


def default_attribute(attributes: dict, enums: tuple[str, ...]) -> str | None:
    """Return `@default(...)` of a column ("" when it has none, None when Prisma cannot say it)."""
    value = attributes.get("default")
    if value is None:
        return ""
    if value == "CURRENT_TIMESTAMP":
        return "@default(now())"
    if value in {"true", "false"} or _NUMBER.match(value):
        return f"@default({value})"
    text = _STRING.match(value)
    if text is None:
        return None
    literal = text.group(1).replace("''", "'")
    if _enum(text.group(2), enums):
        return f"@default({enum_value_name(literal)})"
    return '@default("' + literal.replace("\\", "\\\\").replace('"', '\\"') + '")'


def field_line(column: str, attributes: dict, enums: tuple[str, ...]) -> str | None:
    """Return the field line (two-space indent) declaring `column`, None when Prisma cannot."""
    type_name, default = field_type(attributes, enums), default_attribute(attributes, enums)
    if type_name is None or default is None:
        return None
    name = column if re.fullmatch(r"[A-Za-z]\w*", column) else None
    if name is None:
        return None
    return f"  {name} {type_name}" + (f" {default}" if default else "")


def changed_field_line(line: str, attributes: dict, enums: tuple[str, ...]) -> str | None:
    """Return `line` (a field) with the column's type and default, its other attributes and
    comment kept; None when Prisma cannot say them."""
    type_name, default = field_type(attributes, enums), default_attribute(attributes, enums)
    if type_name is None or default is None:
        return None
    code = without_comment(line)
    comment = line[len(code):]
    indent = code[:len(code) - len(code.lstrip())]
    parts = code.strip().split(None, 2)
    rest = _DEFAULT_ATTRIBUTE.sub("", parts[2]) if len(parts) > 2 else ""
    attributes_text = " ".join(item for item in (default, rest.strip()) if item)
    return f"{indent}{parts[0]} {type_name}" + (f" {attributes_text}" if attributes_text
                                                 else "") + comment
