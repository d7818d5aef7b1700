"""schemainspect's objects with the statements they get wrong, written right (subclasses).

migra prints what schemainspect's inspected objects say. Some of them print names or labels
without quoting, or statements PostgreSQL refuses; `corrected` gives each such object its
subclass below, whose statements quote every label with `quoting.literal`, so migra's output
is right as it is made and never rewritten as text (extensions, collations, triggers,
policies, views and routines are no longer migra's: `diff_kinds` scripts them):

- enums: labels printed between bare quotes (`'O'Brien'` is a syntax error, a label
  `x'); DROP TABLE foo; --` runs the DROP), in the CREATE TYPE of an enum migra re-makes;
- partitions: ATTACH PARTITION read a `partition_spec` that does not exist (a crash), named
  the parent and the partition the wrong way round and came before the columns it needs; a
  primary key or unique constraint of a partitioned table was added USING INDEX (not allowed
  there): now by its definition, which makes the partitions' own, without a CREATE INDEX;
- a partition partitioned in its turn was created with its bound as its partition key;
- a column's COLLATE named its collation without the schema (`collate "plain"` where
  `"s".plain` is meant): now as the catalog writes it;
- an identity column becoming a plain one with a default got the default before DROP
  IDENTITY (an error);
- constraints NOT VALID in the target: added with a second NOT VALID, then validated; now
  added as they are.
"""

from __future__ import annotations

import functools

from nivomigrate.quoting import identifier, literal


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

    class Constraint(obj.InspectedConstraint):
        @property
        def safer_create_statements(self) -> list[str]:
            if self.definition.rstrip().upper().endswith("NOT VALID"):
                return [self.create_statement]  # NOT VALID in the target: kept so
            return super().safer_create_statements

    class PartitionedKey(Constraint):
        @property
        def create_statement(self) -> str:
            return (f"alter table {self.quoted_full_table_name} add constraint "
                    f"{identifier(self.name)} {self.definition};")

        @property
        def safer_create_statements(self) -> list[str]:
            return [self.create_statement]

    class PartitionedKeyIndex(obj.InspectedIndex):
        create_statement = drop_statement = ""  # the key's own statement makes and drops it

    return {obj.InspectedEnum: Enum, obj.ColumnInfo: Column,
            obj.InspectedSelectable: Selectable, obj.InspectedConstraint: Constraint,
            "constraint": PartitionedKey, "index": PartitionedKeyIndex}


def corrected(inspector, obj, partitioned_keys: frozenset[str] = frozenset(),
              partition_keys: dict[str, str] | None = None,
              column_collations: dict[str, str] | None = None) -> None:
    """Give the inspector's objects their corrected classes, in place.

    Args:
        inspector: a schemainspect `PostgreSQL` inspector, already loaded.
        obj: the module `schemainspect.pg.obj` it was made with.
        partitioned_keys: the keys of partitioned tables and their indexes, as
            "constraint schema.table.name" and "index schema.table.name".
        partition_keys: "schema"."table" -> its PARTITION BY, for partitions partitioned in
            their turn (schemainspect knows only their bound).
        column_collations: "schema.table.column" -> its collation as the catalog writes it
            (schema-qualified), for the columns with one.
    """
    classes = _classes(obj)
    for found in (inspector.enums, inspector.relations, inspector.tables,
                  inspector.selectables, inspector.constraints):
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
    for kind, found in (("constraint", inspector.constraints), ("index", inspector.indexes)):
        for item in found.values():
            if f"{kind} {item.schema}.{item.table_name}.{item.name}" in partitioned_keys:
                item.__class__ = classes[kind]
