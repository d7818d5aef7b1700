"""What a schema change needs beyond one revision: the expand/backfill/contract steps.

A required field added to an existing model without a default cannot be added to a table
with rows (PostgreSQL refuses `ADD COLUMN ... NOT NULL` without a default when rows exist);
Prisma's own diff warns and writes it anyway, and so does alembic's autogenerate. nivomigrate
refuses it, from schema.prisma (`revision --from-prisma`) and from the models (`revision -m`)
alike, in the same words (`required_field_refusal`), and names the steps.
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


def prisma_required_refusal(model: str, field: PrismaField) -> tuple[str, str]:
    """Return the refusal of required Prisma `field` added to `model`, with the three steps."""
    return required_field_refusal(
        model, field.name, optional=f"{field.name} {field.base_type}?",
        required=f"{field.name} {field.type}", command="nivomigrate revision --from-prisma",
        default="a @default")


def required_field_refusal(model: str, field: str, *, optional: str, required: str,
                           command: str, default: str) -> tuple[str, str]:
    """Return the refusal (message, hint) of required `field` without a default added to
    existing `model`: the field declared `optional`, then `required`, each followed by
    `command` (the one that writes the revision from the source the team edits)."""
    message = (f"{model}.{field} is a required field without a default added to an existing "
               "model: adding it fails on a table with rows")
    hint = (f"in three steps: (1) declare it optional (`{optional}`) and run `{command}`; "
            f"(2) backfill {model}.{field} (the app, or a data revision); (3) make it required "
            f"(`{required}`) and run `{command}` again, which sets NOT NULL online; or give it "
            f"{default}")
    return message, hint
