"""schemainspect's objects with the statements they get wrong, written right (subclasses).

migra prints what schemainspect's inspected objects say. Some of them print names or labels
without quoting, or statements PostgreSQL refuses; `corrected` gives each such object its
subclass below, whose statements quote every label with `quoting.literal`, so migra's output
is right as it is made and never rewritten as text (extensions, collations, triggers,
policies, views, routines, indexes and constraints are no longer migra's: `diff_kinds`
scripts them):

- enums: labels printed between bare quotes (`'O'Brien'` is a syntax error, a label
  `x'); DROP TABLE foo; --` runs the DROP), in the CREATE TYPE of an enum migra re-makes;
- partitions: ATTACH PARTITION read a `partition_spec` that does not exist (a crash), named
  the parent and the partition the wrong way round and came before the columns it needs;
- a partition partitioned in its turn was created with its bound as its partition key;
- a column's COLLATE named its collation without the schema (`collate "plain"` where
  `"s".plain` is meant): now as the catalog writes it;
- an identity column becoming a plain one with a default got the default before DROP
  IDENTITY (an error).
"""

from __future__ import annotations

import functools

from nivomigrate.quoting import literal


@functools.cache
def _classes(obj) -> dict[type, type]:
    """Return schemainspect class -> corrected subclass, for the module `schemainspect.pg.obj`."""

    class Enum(obj.InspectedEnum):
        @property
        def quoted_elements(self) -> str:
            return ", ".join(map(literal, self.elements))

    class Column(obj.ColumnInfo):
        collated = None  # set by `corrected`: the catalog's schema-qualified collation

        @property
        def collation_subclause(self) -> str:
            return f" collate {self.collated}" if self.collated else super().collation_subclause

        def alter_clauses(self, other) -> list[str]:
            """schemainspect's clauses, DROP IDENTITY first (a default needs it gone)."""
            clauses = super().alter_clauses(other)
            dropped = f"alter column {self.quoted_name} drop identity"
            return sorted(clauses, key=lambda clause: clause != dropped)

    class Selectable(obj.InspectedSelectable):
        partition_key = None  # set by `corrected` on a partition partitioned in its turn

        @property
        def create_statement(self) -> str:
            if self.partition_key and self.parent_table and self.partition_def:
                return (f"create {self.persistence_modifier}table {self.quoted_full_name} "
                        f"partition of {self.parent_table} {self.partition_def} "
                        f"partition by {self.partition_key};\n")
            return super().create_statement

        def attach_detach_statements(self, before) -> list[str]:
            """Detach (or NO INHERIT) from the old parent; INHERIT the new one; a partition
            is attached after the columns change (`migra_fixes.partitions`)."""
            statements = [before.detach_statement] if before.parent_table else []
            if self.parent_table and not self.partition_def:
                statements.append(self.attach_statement)
            return statements

    return {obj.InspectedEnum: Enum, obj.ColumnInfo: Column,
            obj.InspectedSelectable: Selectable}


def corrected(inspector, obj, partition_keys: dict[str, str] | None = None,
              column_collations: dict[str, str] | None = None) -> None:
    """Give the inspector's objects their corrected classes, in place.

    Args:
        inspector: a schemainspect `PostgreSQL` inspector, already loaded.
        obj: the module `schemainspect.pg.obj` it was made with.
        partition_keys: "schema"."table" -> its PARTITION BY, for partitions partitioned in
            their turn (schemainspect knows only their bound).
        column_collations: "schema.table.column" -> its collation as the catalog writes it
            (schema-qualified), for the columns with one.
    """
    classes = _classes(obj)
    for found in (inspector.enums, inspector.relations, inspector.tables,
                  inspector.selectables):
        for item in found.values():
            better = classes.get(type(item))
            if better is not None:
                item.__class__ = better
            for column in getattr(item, "columns", {}).values():
                if type(column) is obj.ColumnInfo:
                    column.__class__ = classes[obj.ColumnInfo]
                if column.collation and column_collations:
                    column.collated = column_collations.get(
                        f"{item.schema}.{item.name}.{column.name}")
    for key, partition_key in (partition_keys or {}).items():
        if key in inspector.relations:
            inspector.relations[key].partition_key = partition_key
