"""Write the project's SQLAlchemy model files from the schema at head, line by line.

The catalog is the truth: after a revision changed the schema (written from schema.prisma),
the schema the revisions build at head is compared with the one the models create, and each
difference becomes an edit of the model files, in the style of `nivostack_models/base.py`
(the helpers that reproduce Prisma's DDL): a column line regenerated from the catalog's
column and its foreign key, an `index(...)` added to or removed from `__table_args__`, a class
added or removed, an enum declared. Every other line stays as it was, comments included.
Files are read with `ast` (positions of classes, columns and table arguments), never run.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from nivomigrate.models_render import (
    ColumnFacts,
    UnsupportedError,
    class_lines,
    column_line,
    index_expression,
    index_name_of,
    new_attribute,
    quoted,
)

_INDENT = "    "


@dataclass(frozen=True)
class ModelClass:
    """A class with `__tablename__` in a model file (lines count from 0)."""

    path: Path
    name: str
    table: str
    node: ast.ClassDef = field(compare=False, repr=False)


@dataclass(frozen=True)
class TableFacts:
    """What the catalog says of one table: columns, indexes, foreign keys, primary key."""

    columns: dict[str, dict]
    indexes: dict[str, object]  # name -> prisma.compare.IndexSpec
    foreign_keys: dict[str, object]  # column -> prisma.compare.ForeignKeySpec
    primary_key: tuple[str, ...]


@dataclass
class FileEdit:
    """The line edits of one file: lines deleted, replaced and inserted after a line."""

    text: str
    deleted: set[int] = field(default_factory=set)
    replaced: dict[int, str] = field(default_factory=dict)
    inserted: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    appended: list[str] = field(default_factory=list)
    imports: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def result(self) -> str:
        lines = self.text.splitlines()
        output = []
        for number, line in enumerate(lines):
            if number not in self.deleted:
                output.append(self.replaced.get(number, line))
            output += self.inserted.get(number, [])
        while output and not output[-1].strip():
            output.pop()
        text = "\n".join(output + self.appended) + "\n"
        return with_imports(text, self.imports)


def find_classes(files: list[Path]) -> dict[str, ModelClass]:
    """Return the model classes of `files` by table name."""
    found = {}
    for path in files:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                table = _table_name(node)
                if table:
                    found[table] = ModelClass(path, node.name, table, node)
    return found


def _table_name(node: ast.ClassDef) -> str | None:
    for statement in node.body:
        if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__tablename__" for t in statement.targets) \
                and isinstance(statement.value, ast.Constant):
            return statement.value.value
    return None


def columns_of(model: ModelClass) -> dict[str, ast.AnnAssign]:
    """Return the column statements of `model` by column name."""
    found = {}
    for statement in model.node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            found[_column_name(statement)] = statement
    return found


def _column_name(statement: ast.AnnAssign) -> str:
    value = statement.value
    if isinstance(value, ast.Call) and value.args and isinstance(value.args[0], ast.Constant) \
            and isinstance(value.args[0].value, str):
        return value.args[0].value
    return statement.target.id


def table_args(model: ModelClass) -> ast.Assign | None:
    for statement in model.node.body:
        if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__table_args__" for t in statement.targets):
            return statement
    return None


@dataclass(frozen=True)
class TableChanges:
    """What differs for one table: columns to (re)write or remove, indexes to add or remove,
    and the column order new columns follow."""

    columns: set[str]
    removed_columns: set[str]
    indexes: set[str]
    removed_indexes: set[str]
    order: list[str]
    fields: dict[str, str] = field(default_factory=dict)  # column -> Prisma field name


def edit_table(edit: FileEdit, model: ModelClass, facts: TableFacts, changes: TableChanges,
               enum_names: dict[str, str]) -> list[str]:
    """Record the edits that bring `model` to `facts`; return what could not be written."""
    left: list[str] = []
    changed_columns, removed_columns = changes.columns, changes.removed_columns
    order = changes.order
    statements = columns_of(model)
    for column in sorted(removed_columns & set(statements)):
        _delete(edit, statements[column])
    last = max((s.end_lineno for s in statements.values()), default=model.node.lineno) - 1
    position = {column: number for number, column in enumerate(order)}
    for column in sorted(changed_columns - removed_columns,
                         key=lambda c: (position.get(c, len(position)), c)):
        if column not in facts.columns:
            continue
        try:
            attribute = statements[column].target.id if column in statements else \
                new_attribute(column, changes.fields.get(column))
            line = column_line(attribute, column, _facts(facts, column), enum_names,
                               edit.imports)
        except UnsupportedError as exc:
            left.append(f"{model.table}.{column}: {exc}")
            continue
        if column in statements:
            _replace(edit, statements[column], line)
        else:
            edit.inserted[last].append(line)
    left += _edit_indexes(edit, model, facts, changes.indexes, changes.removed_indexes)
    return left


def _facts(facts: TableFacts, column: str) -> ColumnFacts:
    return ColumnFacts(facts.columns[column], facts.foreign_keys.get(column),
                       column in facts.primary_key)


def _delete(edit: FileEdit, node: ast.AST) -> None:
    edit.deleted.update(range(node.lineno - 1, node.end_lineno))


def _replace(edit: FileEdit, node: ast.AST, line: str) -> None:
    _delete(edit, node)
    edit.deleted.discard(node.lineno - 1)
    edit.replaced[node.lineno - 1] = line


def _edit_indexes(edit: FileEdit, model: ModelClass, facts: TableFacts, added: set[str],
                  removed: set[str]) -> list[str]:
    left = []
    arguments = table_args(model)
    elements = arguments.value.elts if arguments and isinstance(arguments.value, ast.Tuple) \
        else []
    for element in elements:
        if index_name_of(element, model.table) in removed:
            _delete(edit, element)
            removed = removed - {index_name_of(element, model.table)}
    left += [f"{model.table}: index {name} (remove it from __table_args__ by hand)"
             for name in sorted(removed)]
    new = [f"{_INDENT * 2}{index_expression(facts.indexes[name], edit.imports)},"
           for name in sorted(added)]
    if not new:
        return left
    if arguments is None:
        after = next(s for s in model.node.body if isinstance(s, ast.Assign)
                     and _table_name_statement(s)).end_lineno - 1
        edit.inserted[after] += [f"{_INDENT}__table_args__ = (", *new, f"{_INDENT})"]
    elif isinstance(arguments.value, ast.Tuple) and arguments.end_lineno > arguments.lineno:
        edit.inserted[arguments.end_lineno - 2] += new
    else:
        left.append(f"{model.table}: add {', '.join(sorted(added))} to __table_args__ by hand")
    return left


def _table_name_statement(statement: ast.Assign) -> bool:
    return any(isinstance(t, ast.Name) and t.id == "__tablename__" for t in statement.targets)


def remove_class(edit: FileEdit, model: ModelClass) -> None:
    """Delete `model`'s class and the blank lines before it."""
    lines = edit.text.splitlines()
    start = model.node.lineno - 1
    while start > 0 and not lines[start - 1].strip():
        start -= 1
    edit.deleted.update(range(start, model.node.end_lineno))


def add_class(edit: FileEdit, name: str, table: str, facts: TableFacts, order: list[str],
              enum_names: dict[str, str], fields: dict[str, str] | None = None) -> None:
    """Append the class of a new table to the file (`fields`: Prisma's field names by
    column, the attributes' names)."""
    edit.appended += ["", "", *class_lines(name, table, facts, order, enum_names, edit.imports,
                                           fields)]


def declare_enum(edit: FileEdit, variable: str, name: str, labels: list[str],
                 existing: ast.Assign | None) -> None:
    """Declare (or redeclare) enum `name` at module level, before the first class."""
    values = ", ".join(quoted(label) for label in labels)
    line = f"{variable} = prisma_enum({quoted(name)}, {values}, metadata=Base.metadata)"
    edit.imports["base"] |= {"prisma_enum", "Base"}
    if existing is not None:
        _replace(edit, existing, line)
        return
    tree = ast.parse(edit.text)
    first = next((n for n in tree.body if isinstance(n, ast.ClassDef)), None)
    after = (first.lineno - 2) if first else len(edit.text.splitlines()) - 1
    edit.inserted[after] += [line, "", ""]


def declared_enums(files: list[Path]) -> dict[str, tuple[Path, str, ast.Assign]]:
    """Return the enums the files declare with prisma_enum(): name -> (file, variable, node)."""
    found = {}
    for path in files:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    getattr(node.value.func, "id", None) == "prisma_enum" and \
                    node.value.args and isinstance(node.targets[0], ast.Name):
                found[node.value.args[0].value] = (path, node.targets[0].id, node)
    return found


def with_imports(text: str, needed: dict[str, set[str]]) -> str:
    """Return `text` whose `from ... import` lines include the `needed` names.

    Keys: "base" (the module the file imports `Base` from), "sqlalchemy", "sqlalchemy.orm",
    "datetime"; a missing import line is added after the file's last import.
    """
    for key, names in needed.items():
        if not names:
            continue
        tree = ast.parse(text)
        node = next((n for n in tree.body if isinstance(n, ast.ImportFrom) and _is(n, key)),
                    None)
        lines = text.splitlines()
        if node is None:
            imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
            at = imports[-1].end_lineno if imports else 0
            lines[at:at] = [_import_line(key, sorted(names))]
        else:
            have = {alias.name for alias in node.names}
            if names <= have:
                continue
            module = "." * node.level + (node.module or "")
            lines[node.lineno - 1:node.end_lineno] = [_import_line(module, have | names)]
        text = "\n".join(lines) + "\n"
    return text


def _is(node: ast.ImportFrom, key: str) -> bool:
    if key == "base":
        return any(alias.name == "Base" for alias in node.names)
    return node.level == 0 and node.module == key


def _import_line(module: str, names) -> str:
    ordered = sorted(names, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    line = f"from {module} import {', '.join(ordered)}"
    if len(line) <= 100:
        return line
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in ordered) + ")"
