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
_SET_NOT_NULL = re.compile(r'^ALTER COLUMN "((?:[^"]|"")+)" SET NOT NULL$')
_ALTER_TABLE = re.compile(r'^ALTER TABLE "((?:[^"]|"")+)" (.*)$', re.S)
_DROP_CONSTRAINT = re.compile(r'^ALTER TABLE "((?:[^"]|"")+)" DROP CONSTRAINT "((?:[^"]|"")+)"$')
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
    """Return the body of upgrade()/downgrade() that runs `sql` (`pass` when empty).

    A foreign key Prisma drops and adds again (an `onDelete` change) is dropped and added NOT
    VALID in one transaction, then validated online: no session sees the table without it.
    """
    found = statements(sql)
    replaced = _replaced_foreign_keys(found)
    lines = []
    for statement in found:
        dropped = _DROP_CONSTRAINT.match(statement)
        if dropped and dropped.groups() in replaced:
            continue
        foreign = _ADD_FOREIGN_KEY.match(statement)
        if foreign and foreign.groups()[:2] in replaced:
            lines += [_wrapped(*call) for call in _replacement(statement, *foreign.groups()[:2])]
            continue
        for part in _split_not_null(statement):
            lines.append(_wrapped(*_call(part)))
    return "\n".join(lines) or "    pass"


def _replaced_foreign_keys(found: list[str]) -> set[tuple[str, str]]:
    """(table, name) of each foreign key the script drops and adds again."""
    dropped = {match.groups() for match in map(_DROP_CONSTRAINT.match, found) if match}
    added = {match.groups()[:2] for match in map(_ADD_FOREIGN_KEY.match, found) if match}
    return dropped & added


def _replacement(statement: str, table: str, name: str) -> list[tuple[str, list[str]]]:
    """Drop the old foreign key and add the new one NOT VALID in the revision's transaction
    (no other session sees the table without it), then validate it online in its own.
    (One ALTER TABLE cannot drop and add the same name.)"""
    definition = statement.split(" ADD CONSTRAINT ", 1)[1].replace(" REFERENCES ",
                                                                    "\n    REFERENCES ", 1)
    drop = f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'
    add = f'ALTER TABLE "{table}" ADD CONSTRAINT {definition} NOT VALID'
    return [("op.execute", ['"""\n' + sql + '\n"""']) for sql in (drop, add)] + \
        [("validate_constraint_online", [repr(_name(name)), repr(_name(table))])]


def _split_not_null(statement: str) -> list[str]:
    """Split `ALTER TABLE t <actions>` so that each `ALTER COLUMN c SET NOT NULL` stands alone
    (it becomes nivomigrate.ops.set_not_null_online); other statements are returned as is."""
    altered = _ALTER_TABLE.match(statement)
    if not altered or "SET NOT NULL" not in statement:
        return [statement]
    table, actions = altered.groups()
    items = [action.strip() for action in actions.split(",\n")]
    rest = [action for action in items if not _SET_NOT_NULL.match(action)]
    parts = [f'ALTER TABLE "{table}" ' + ",\n".join(rest)] if rest else []
    return parts + [f'ALTER TABLE "{table}" {action}' for action in items
                    if _SET_NOT_NULL.match(action)]


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
    altered = _ALTER_TABLE.match(statement)
    not_null = _SET_NOT_NULL.match(altered.group(2)) if altered else None
    if not_null:
        return "set_not_null_online", [repr(_name(altered.group(1))),
                                       repr(_name(not_null.group(1)))]
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
                  upgrade_sql: str, downgrade_sql: str, comments: tuple[str, ...] = ()) -> str:
    """Return the revision file running `upgrade_sql` up and `downgrade_sql` down; `comments`
    (waivers, `# nivomigrate: ...`) open upgrade()'s body."""
    upgrade, downgrade = python_calls(upgrade_sql), python_calls(downgrade_sql)
    if comments:
        upgrade = "".join(f"    {comment}\n" for comment in comments) + upgrade
    body = upgrade + downgrade
    helpers = [name for name in ("add_foreign_key_online", "create_index_concurrently",
                                 "drop_index_concurrently", "set_not_null_online",
                                 "validate_constraint_online") if f"{name}(" in body]
    imports = ["from alembic import op"] if "op.execute(" in body else []
    if helpers:
        imports.append("from nivomigrate.ops import (\n"
                       + "".join(f"    {name},\n" for name in helpers) + ")")
    return TEMPLATE.format(message=message.strip().replace('"""', "'''"),
                           provenance=provenance, revision_id=revision_id,
                           down_revision=down_revision, imports="\n\n".join(imports),
                           upgrade=upgrade, downgrade=downgrade)
