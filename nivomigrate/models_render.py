"""Render catalog facts as model source in the style of `nivostack_models/base.py`.

A column becomes `name: Mapped[str | None] = mapped_column(...)` with the helpers that
reproduce Prisma's DDL (`references`, `db_default`, `NOW`), an index `index(...)` /
`unique_index(...)` (or `Index("name", ...)` when its name, order or method is not Prisma's
default). Each function records the names it uses in `imports` (module key -> names) so
that the file's import lines can follow (`models_source.with_imports`).
"""

from __future__ import annotations

import ast
import json
import keyword
import re
from dataclasses import dataclass

from nivomigrate.prisma.schema import default_name
from nivomigrate.quoting import identifier

_TYPES = {"text": "str", "integer": "int", "double precision": "float", "boolean": "bool",
          "timestamp(3) without time zone": "datetime", "jsonb": "Json",
          "text[]": "list[str]", "integer[]": "list[int]"}
_EXPLICIT_TYPES = {"bigint": ("int", "BigInteger"), "bytea": ("bytes", "LargeBinary")}
_ACTIONS = {"Cascade", "Restrict", "NoAction", "SetNull", "SetDefault"}
_SQL_ACTIONS = {"Cascade": "CASCADE", "Restrict": "RESTRICT", "NoAction": "NO ACTION",
                "SetNull": "SET NULL", "SetDefault": "SET DEFAULT"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_STRING_DEFAULT = re.compile(r"^'((?:[^']|'')*)'::(?:text|public\.\"?[\w]+\"?|\"?\w+\"?)$")


_RESERVED = {"metadata", "registry"}  # taken by SQLAlchemy's declarative base


def attribute_for(column: str) -> str:
    """Return the attribute name a new column gets (its name where Python allows it)."""
    name = re.sub(r"\W", "_", column)
    if name[:1].isdigit():
        name = "_" + name
    if keyword.iskeyword(name) or name in _RESERVED or name != column:
        return name if name.endswith("_") else name + "_"
    return name


def new_attribute(column: str, field_name: str | None) -> str:
    """A new column's attribute: its Prisma field's name when that is a free Python name (a
    column renamed by `@map` keeps its field's name), else the column's own."""
    if field_name and attribute_for(field_name) == field_name:
        return field_name
    return attribute_for(column)


def quoted(value: str) -> str:
    """Return `value` as a double-quoted Python string literal (the models' style)."""
    return json.dumps(value, ensure_ascii=False)


class UnsupportedError(Exception):
    """A catalog fact the model helpers cannot say (the column is left for a hand edit)."""


@dataclass(frozen=True)
class ColumnFacts:
    attributes: dict
    foreign_key: object | None  # prisma.compare.ForeignKeySpec
    primary: bool


def column_line(attribute: str, column: str, facts: ColumnFacts, enums: dict[str, str],
                imports: dict[str, set[str]]) -> str:
    """Return the class-body line declaring `column` as `attribute`.

    Raises:
        UnsupportedError: a type, default or foreign key the helpers cannot express.
    """
    python_type, column_type = _python_type(facts.attributes["type"], enums, imports)
    if not facts.attributes.get("not_null"):
        python_type += " | None"
    arguments = [quoted(column)] if attribute != column else []
    arguments += [column_type] if column_type else []
    if facts.foreign_key is not None:
        arguments.append(_foreign_key(facts.foreign_key, imports))
    if facts.primary:
        arguments.append("primary_key=True")
    default = _default(facts.attributes.get("default"), imports)
    if default:
        arguments.append(default)
    line = f"    {attribute}: Mapped[{python_type}]"
    return line + (f" = mapped_column({', '.join(arguments)})" if arguments else "")


def _python_type(sql_type: str, enums: dict[str, str], imports) -> tuple[str, str | None]:
    if sql_type in _TYPES:
        name = _TYPES[sql_type]
        if name == "datetime":
            imports["datetime"].add("datetime")
        if name == "Json":
            imports["base"].add("Json")
        return name, None
    if sql_type in _EXPLICIT_TYPES:
        python_type, column_type = _EXPLICIT_TYPES[sql_type]
        imports["sqlalchemy"].add(column_type)
        return python_type, column_type
    enum = sql_type.split(".", 1)[-1].strip('"')
    if enum in enums:
        return "str", enums[enum]
    raise UnsupportedError(f"type {sql_type} has no model helper")


def _foreign_key(spec, imports) -> str:
    if spec.on_delete not in _ACTIONS or spec.on_update not in _ACTIONS:
        raise UnsupportedError(f"foreign key {spec.name}")
    default = spec.name == default_name(spec.table, list(spec.columns), "fkey")
    if spec.referenced_columns == ("id",) and spec.on_update == "Cascade" and default:
        imports["base"].add("references")
        return f"references({quoted(spec.referenced_table)}, on_delete={quoted(spec.on_delete)})"
    imports["sqlalchemy"].add("ForeignKey")
    target = f"{spec.referenced_table}.{spec.referenced_columns[0]}"
    name = "" if default else f", name={quoted(spec.name)}"
    return (f"ForeignKey({quoted(target)}, ondelete={quoted(_SQL_ACTIONS[spec.on_delete])}, "
            f"onupdate={quoted(_SQL_ACTIONS[spec.on_update])}{name})")


def _default(value: str | None, imports) -> str | None:
    if value is None:
        return None
    if value == "CURRENT_TIMESTAMP":
        imports["base"].add("NOW")
        return "server_default=NOW"
    imports["base"].add("db_default")
    if value in {"true", "false"}:
        return f"server_default=db_default({value == 'true'})"
    if _NUMBER.match(value):
        return f"server_default=db_default({value})"
    text = _STRING_DEFAULT.match(value)
    if text:
        return f"server_default=db_default({quoted(text.group(1).replace(chr(39) * 2, chr(39)))})"
    imports["base"].discard("db_default")
    imports["sqlalchemy"].add("text")
    return f"server_default=text({quoted(value)})"


def index_expression(spec, imports) -> str:
    """Return the `__table_args__` element of index `spec` (prisma.compare.IndexSpec)."""
    columns = [column for column, _ in spec.columns]
    plain = not any(descending for _, descending in spec.columns) and spec.method == "btree"
    suffix = "key" if spec.unique else "idx"
    if plain and spec.name == default_name(spec.table, columns, suffix):
        helper = "unique_index" if spec.unique else "index"
        imports["base"].add(helper)
        return f"{helper}({', '.join(quoted(c) for c in columns)})"
    imports["sqlalchemy"].add("Index")
    keys = []
    for column, descending in spec.columns:
        if descending:
            imports["sqlalchemy"].add("text")
            keys.append(f"text({quoted(identifier(column) + ' DESC')})")
        else:
            keys.append(quoted(column))
    options = (["unique=True"] if spec.unique else []) + \
        ([f"postgresql_using={quoted(spec.method)}"] if spec.method != "btree" else [])
    return f"Index({', '.join([quoted(spec.name), *keys, *options])})"


def index_name_of(element: ast.AST, table: str) -> str | None:
    """Return the database name of a `__table_args__` element (None: not an index)."""
    if not isinstance(element, ast.Call):
        return None
    function = getattr(element.func, "id", None)
    strings = [a.value for a in element.args if isinstance(a, ast.Constant)
               and isinstance(a.value, str)]
    if function in {"index", "unique_index"}:
        return default_name(table, strings, "key" if function == "unique_index" else "idx")
    if function == "Index" and element.args and isinstance(element.args[0], ast.Constant):
        return element.args[0].value
    return None


def class_lines(name: str, table: str, facts, order: list[str], enums: dict[str, str],
                imports: dict[str, set[str]], fields: dict[str, str] | None = None
                ) -> list[str]:
    """Return the lines of a new model class for `table` (columns in `order`, then the rest).

    Raises:
        UnsupportedError: a column the helpers cannot express.
    """
    imports["base"].add("Base")
    imports["sqlalchemy.orm"] |= {"Mapped", "mapped_column"}
    lines = [f"class {name}(Base):", f"    __tablename__ = {quoted(table)}"]
    indexes = [index_expression(facts.indexes[key], imports) for key in sorted(facts.indexes)]
    if indexes:
        lines += ["    __table_args__ = (", *[f"        {i}," for i in indexes], "    )"]
    lines.append("")
    columns = [c for c in order if c in facts.columns] + \
        sorted(c for c in facts.columns if c not in order)
    for column in columns:
        lines.append(column_line(new_attribute(column, (fields or {}).get(column)), column,
                                 ColumnFacts(
            facts.columns[column], facts.foreign_keys.get(column),
            column in facts.primary_key), enums, imports))
    return lines


def class_name(table: str) -> str:
    """Return a class name for a new table (its name where Python allows it)."""
    name = re.sub(r"\W", "_", table)
    return name[:1].upper() + name[1:] if name else "Model"
