"""`@map` / `@@map` renames between two datamodels, found and said as RENAME statements.

Prisma's `migrate diff` sees a field whose `@map` changed as one column dropped and another
added (the data is lost), and a model whose `@@map` changed as a table dropped and another
created. A model or field of the same name on both sides whose database name changed is a
rename: the statements here rename the table or column and the keys and indexes whose Prisma
names follow it, and the old datamodel gets the new names. `revision --from-prisma` writes
them as the revision's first statements when no service uses the old name, and refuses the
rename otherwise (the deployed services would break: expand/contract instead).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nivomigrate.prisma.schema import (
    PrismaModel,
    declared_indexes,
    declared_relations,
    read_schema,
    without_comment,
)
from nivomigrate.quoting import identifier

_MAP = re.compile(r'\s*@map\(\s*(?:name:\s*)?"[^"]*"\s*\)')


@dataclass(frozen=True)
class Renames:
    """The old datamodel with the new names, and the rename statements both ways."""

    renamed_text: str
    upgrade: tuple[str, ...]
    downgrade: tuple[str, ...]
    tables: tuple[tuple[str, str], ...] = ()          # (old table, new table)
    columns: tuple[tuple[str, str, str], ...] = ()    # (old table, old column, new column)


def find_renames(old_text: str, new_text: str) -> Renames:
    """Return the renames from `old_text` to `new_text` (none: `old_text`, no statements)."""
    old, new = read_schema(old_text), read_schema(new_text)
    lines = list(old.lines)
    table_renames, column_renames, old_columns = [], [], []
    for model in old.models:
        target = new.model(model.name)
        if target is None:
            continue
        if target.table != model.table:
            table_renames.append((model.table, target.table))
            _set_table(lines, model, target.table)
        for field in model.fields:
            moved = next((f for f in target.fields if f.name == field.name), None)
            if field.column and moved and moved.column and moved.column != field.column:
                column_renames.append((target.table, field.column, moved.column))
                old_columns.append((model.table, field.column, moved.column))
                lines[field.line] = _with_column(lines[field.line], field.name, moved.column)
    if not table_renames and not column_renames:
        return Renames(old_text, (), ())
    renamed_text = "\n".join(lines) + ("\n" if old.final_newline else "")
    names = _name_changes(old_text, renamed_text)
    upgrade = [f"ALTER TABLE {identifier(a)} RENAME TO {identifier(b)}" for a, b in table_renames]
    upgrade += [f"ALTER TABLE {identifier(t)} RENAME COLUMN {identifier(a)} TO {identifier(b)}"
                for t, a, b in column_renames]
    upgrade += [rename_statement(kind, table, a, b) for kind, table, a, b in names]
    downgrade = [rename_statement(kind, table, b, a) for kind, table, a, b in names]
    downgrade += [f"ALTER TABLE {identifier(t)} RENAME COLUMN {identifier(b)} TO {identifier(a)}"
                  for t, a, b in column_renames]
    downgrade += [f"ALTER TABLE {identifier(b)} RENAME TO {identifier(a)}"
                  for a, b in table_renames]
    return Renames(renamed_text, tuple(upgrade), tuple(downgrade), tuple(table_renames),
                   tuple(old_columns))


def _set_table(lines: list[str], model: PrismaModel, table: str) -> None:
    """Give `model` the table `table` in `lines`: its @@map line replaced or added."""
    mapped = next((a for a in model.attributes if a.name == "map"), None)
    text = f'  @@map("{table}")' if table != model.name else ""
    if mapped:
        lines[mapped.line] = text
    elif text:
        lines[model.end] = text + "\n" + lines[model.end]


def mapped_tables(text: str, tables: tuple[tuple[str, str], ...]) -> str:
    """`text` with the model of each old table of `tables` ((old, new)) mapped to the new
    one (`@@map`), as a rename said from the models leaves it."""
    schema = read_schema(text)
    lines = list(schema.lines)
    for old, new in tables:
        model = schema.model_for_table(old)
        if model is not None:
            _set_table(lines, model, new)
    return "\n".join(lines) + ("\n" if schema.final_newline else "")


def _with_column(line: str, field: str, column: str) -> str:
    """Return the field line with `@map("column")` (none when the column is the field's)."""
    code = without_comment(line)
    comment = line[len(code):]
    code = _MAP.sub("", code)
    if column != field:
        code += f' @map("{column}")'
    return code + comment


def _name_changes(old_text: str, new_text: str) -> list[tuple[str, str, str, str]]:
    """(kind, table, old name, new name) of each primary key, index and foreign key whose
    Prisma name follows a renamed table or column."""
    old, new = read_schema(old_text), read_schema(new_text)
    changes = []
    for model in old.models:
        target = new.model(model.name)
        if target is None:
            continue
        if model.table != target.table and not any("@@id" in a.text and "map:" in a.text
                                                   for a in model.attributes):
            changes.append(("constraint", target.table, f"{model.table}_pkey",
                            f"{target.table}_pkey"))
        for before, after in zip(declared_indexes(model), declared_indexes(target), strict=False):
            if before.name != after.name:
                changes.append(("index", target.table, before.name, after.name))
        for before, after in zip(declared_relations(model), declared_relations(target),
                                 strict=False):
            if before.name != after.name:
                changes.append(("constraint", target.table, before.name, after.name))
    return changes


def rename_statement(kind: str, table: str, old: str, new: str) -> str:
    """The statement renaming index (`kind` "index") or constraint `old` of `table`."""
    if kind == "index":
        return f"ALTER INDEX {identifier(old)} RENAME TO {identifier(new)}"
    return (f"ALTER TABLE {identifier(table)} RENAME CONSTRAINT {identifier(old)} "
            f"TO {identifier(new)}")
