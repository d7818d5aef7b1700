"""What a schema.prisma change needs beyond one revision: the expand/backfill/contract steps.

A required field added to an existing model without a default cannot be added to a table
with rows (PostgreSQL refuses `ADD COLUMN ... NOT NULL` without a default when rows exist);
Prisma's own diff warns and writes it anyway. nivomigrate refuses it and names the steps.
"""

from __future__ import annotations

from nivomigrate.prisma.schema import PrismaField, PrismaSchema


def required_without_default(old: PrismaSchema, new: PrismaSchema) -> list[tuple[str, PrismaField]]:
    """Return (model, field) of each required field without a database default that `new`
    adds to a model `old` already has (by table)."""
    found = []
    for model in new.models:
        before = old.model_for_table(model.table)
        if before is None:
            continue
        columns = {field.column for field in before.fields if field.column}
        for field in model.fields:
            if field.column and field.column not in columns and _required(field) and \
                    "@default(" not in field.attributes:
                found.append((model.name, field))
    return found


def _required(field: PrismaField) -> bool:
    return not field.type.endswith(("?", "[]"))


def expand_contract_hint(model: str, field: PrismaField) -> str:
    """Return the three steps that add required `field` to `model` safely."""
    optional = f"{field.name} {field.base_type}?"
    return (f"in three steps: (1) declare it optional (`{optional}`) and run `nivomigrate "
            f"revision --from-prisma`; (2) backfill {model}.{field.name} (the app, or a data "
            f"revision); (3) make it required (`{field.name} {field.type}`) and run `nivomigrate "
            "revision --from-prisma` again, which sets NOT NULL online; or give it a @default")
