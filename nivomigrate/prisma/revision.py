"""Turn Prisma's datamodel-to-datamodel SQL into a revision file.

Prisma prints one statement per `-- Label` block, each ending with `;` at the end of a line.
Index builds and drops become nivomigrate.ops' CONCURRENTLY helpers and new foreign keys its
NOT VALID + VALIDATE one, so the revision passes lint like a hand-written one; every other
statement is run as Prisma wrote it.
"""

from __future__ import annotations

import re

_CREATE_INDEX = re.compile(
    r'^CREATE (UNIQUE )?INDEX "((?:[^"]|"")+)" ON "((?:[^"]|"")+)"(?: USING (\w+) ?)?\((.*)\)$',
    re.S)
_DROP_INDEX = re.compile(r'^DROP INDEX "((?:[^"]|"")+)"$')
_ADD_FOREIGN_KEY = re.compile(
    r'^ALTER TABLE "((?:[^"]|"")+)" ADD CONSTRAINT "((?:[^"]|"")+)" FOREIGN KEY \((.+?)\) '
    r'REFERENCES "((?:[^"]|"")+)"\((.+?)\) ON DELETE ([A-Z ]+?) ON UPDATE ([A-Z ]+)$')

TEMPLATE = '''"""{message}

Written by `nivomigrate revision --from-prisma` from Prisma's datamodel diff:
{provenance}

Revision ID: {revision_id}
Revises: {down_revision}
"""

from collections.abc import Sequence

{imports}

revision: str = {revision_id!r}
down_revision: str | None = {down_revision!r}
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def statements(sql: str) -> list[str]:
    """Return the statements of Prisma's script, without comments or the final `;`."""
    found, current = [], []
    for line in sql.splitlines():
        if line.startswith("--") or not line.strip():
            continue
        current.append(line)
        if line.rstrip().endswith(";"):
            found.append("\n".join(current).rstrip()[:-1])
            current = []
    if current:
        found.append("\n".join(current))
    return found


def python_calls(sql: str) -> str:
    """Return the body of upgrade()/downgrade() that runs `sql` (`pass` when empty)."""
    lines = [_wrapped(*_call(statement)) for statement in statements(sql)]
    return "\n".join(lines) or "    pass"


def _wrapped(function: str, arguments: list[str]) -> str:
    """Return the indented call; past 100 characters, its arguments packed on lines below."""
    call = f"    {function}({', '.join(arguments)})"
    if len(call) <= 100 or "\n" in call:
        return call
    lines, current = [], ""
    for argument in arguments:
        if current and len(current) + len(argument) + 10 > 100:
            lines.append(current)
            current = ""
        current += argument + ", "
    lines.append(current)
    return f"    {function}(\n" + "".join(f"        {line.rstrip()}\n" for line in lines) + "    )"


def _call(statement: str) -> tuple[str, list[str]]:
    created = _CREATE_INDEX.match(statement)
    if created:
        unique, name, table, method, keys = created.groups()
        options = (["unique=True"] if unique else []) + \
            ([f"using={method.lower()!r}"] if method else [])
        key_list = [key.strip() for key in keys.split(",")]
        return "create_index_concurrently", [repr(_name(name)), repr(_name(table)),
                                             repr(key_list), *options]
    dropped = _DROP_INDEX.match(statement)
    if dropped:
        return "drop_index_concurrently", [repr(_name(dropped.group(1)))]
    foreign = _ADD_FOREIGN_KEY.match(statement)
    if foreign:
        table, name, columns, referred, referred_columns, on_delete, on_update = foreign.groups()
        return "add_foreign_key_online", [
            repr(_name(name)), repr(_name(table)), repr(_names(columns)), repr(_name(referred)),
            repr(_names(referred_columns)), f"on_delete={on_delete!r}",
            f"on_update={on_update!r}"]
    if '"""' not in statement and "\\" not in statement:
        return "op.execute", ['"""\n' + statement + '\n"""']
    return "op.execute", [repr(statement)]


def _name(quoted: str) -> str:
    return quoted.replace('""', '"')


def _names(columns: str) -> list[str]:
    return [_name(column.strip().strip('"')) for column in columns.split(",")]


def revision_text(revision_id: str, down_revision: str | None, message: str, provenance: str,
                  upgrade_sql: str, downgrade_sql: str) -> str:
    """Return the revision file running `upgrade_sql` up and `downgrade_sql` down."""
    upgrade, downgrade = python_calls(upgrade_sql), python_calls(downgrade_sql)
    body = upgrade + downgrade
    helpers = [name for name in ("add_foreign_key_online", "create_index_concurrently",
                                 "drop_index_concurrently") if f"{name}(" in body]
    imports = ["from alembic import op"] if "op.execute(" in body else []
    if helpers:
        imports.append("from nivomigrate.ops import (\n"
                       + "".join(f"    {name},\n" for name in helpers) + ")")
    return TEMPLATE.format(message=message.strip().replace('"""', "'''"),
                           provenance=provenance, revision_id=revision_id,
                           down_revision=down_revision, imports="\n\n".join(imports),
                           upgrade=upgrade, downgrade=downgrade)
