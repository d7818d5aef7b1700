"""Autogenerate's operations rewritten to nivomigrate.ops' online helpers.

alembic's autogenerate writes `op.create_index`, `op.drop_index` and `op.create_foreign_key`,
which take locks that block writes for the whole build or validation, and which `nivomigrate
lint` refuses. This rewriter (alembic's `process_revision_directives`) replaces them with
`create_index_concurrently`, `drop_index_concurrently` and `add_foreign_key_online` (NOT
VALID, then VALIDATE), except on a table the same revision creates, which no one reads yet.
"""

from __future__ import annotations

from alembic.autogenerate import renderers
from alembic.operations import ops

HELPERS = "nivomigrate.ops"


class OnlineCall(ops.MigrateOperation):
    """A call of one of nivomigrate.ops' helpers, rendered as written."""

    def __init__(self, helper: str, arguments: list[str]):
        self.helper, self.arguments = helper, arguments

    def reverse(self):  # pragma: no cover - the downgrade is rewritten on its own
        raise NotImplementedError


@renderers.dispatch_for(OnlineCall)
def _render(autogen_context, operation: OnlineCall) -> str:
    autogen_context.imports.add(f"from {HELPERS} import {operation.helper}")
    return f"{operation.helper}({', '.join(operation.arguments)})"


def rewrite(directives) -> None:
    """Rewrite the upgrade and downgrade operations of the revision being written."""
    script = directives[0]
    for container in (script.upgrade_ops, script.downgrade_ops):
        created = {op.table_name for op in _walk(container.ops)
                   if isinstance(op, ops.CreateTableOp)}
        container.ops = _rewritten(container.ops, created)


def _walk(operations):
    for operation in operations:
        yield operation
        if isinstance(operation, ops.OpContainer):
            yield from _walk(operation.ops)


def _rewritten(operations: list, created: set[str]) -> list:
    result = []
    for operation in operations:
        if isinstance(operation, ops.OpContainer):
            operation.ops = _rewritten(operation.ops, created)
            result.append(operation)
        elif getattr(operation, "table_name", None) in created:
            result.append(operation)
        else:
            result.append(_online(operation) or operation)
    return result


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _online(operation) -> OnlineCall | None:
    if isinstance(operation, ops.CreateIndexOp) and not operation.kw.get("postgresql_where"):
        keys = [_quote(c) if isinstance(c, str) else str(c) for c in _columns(operation)]
        options = ["unique=True"] if operation.unique else []
        using = operation.kw.get("postgresql_using")
        options += [f"using={using!r}"] if using else []
        return OnlineCall("create_index_concurrently", [
            repr(operation.index_name), repr(operation.table_name), repr(keys), *options])
    if isinstance(operation, ops.DropIndexOp):
        return OnlineCall("drop_index_concurrently", [repr(operation.index_name)])
    if isinstance(operation, ops.CreateForeignKeyOp):
        options = operation.kw
        return OnlineCall("add_foreign_key_online", [
            repr(operation.constraint_name), repr(operation.source_table),
            repr(list(operation.local_cols)), repr(operation.referent_table),
            repr(list(operation.remote_cols)),
            f"on_delete={(options.get('ondelete') or 'NO ACTION').upper()!r}",
            f"on_update={(options.get('onupdate') or 'NO ACTION').upper()!r}"])
    return None


def _columns(operation: ops.CreateIndexOp) -> list:
    index = operation.to_index()
    return [getattr(expression, "name", None) or str(expression)
            for expression in index.expressions]
