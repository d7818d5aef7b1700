"""schemainspect's objects with the statements they get wrong, written right (subclasses).

migra prints what schemainspect's inspected objects say. Four of them print names or labels
without quoting or with a missing attribute; `corrected` gives each such object its subclass
below, whose statements quote every label with `quoting.literal` and every role with
`quoting.role`, so migra's output is right as it is made and never rewritten as text:

- enums: labels printed between bare quotes (`'O'Brien'` is a syntax error, a label
  `x'); DROP TABLE foo; --` runs the DROP), in CREATE TYPE and ALTER TYPE ... ADD VALUE;
- row level security policies: role names printed unquoted (`evil"role`, capitals);
- partitions: ATTACH PARTITION read a `partition_spec` that does not exist (a crash) and
  named the parent and the partition the wrong way round.
"""

from __future__ import annotations

import functools

from nivomigrate.quoting import identifier, literal, role


@functools.cache
def _classes(obj) -> dict[type, type]:
    """Return schemainspect class -> corrected subclass, for the module `schemainspect.pg.obj`."""

    class Enum(obj.InspectedEnum):
        @property
        def quoted_elements(self) -> str:
            return ", ".join(map(literal, self.elements))

        def change_statements(self, new) -> list[str]:
            statements, previous = [], None
            for label in new.elements:
                if label not in self.elements:
                    where = (f"after {literal(previous)}" if previous
                             else f"before {literal(self.elements[0])}")
                    statements.append(f"alter type {self.quoted_full_name} add value "
                                      f"{literal(label)} {where};")
                previous = label
            return statements

    class RowPolicy(obj.InspectedRowPolicy):
        @property
        def create_statement(self) -> str:
            roles = ", ".join("PUBLIC" if name == "public" else role(name)
                              for name in self.roles)
            using = f"\nusing ({self.qual})" if self.qual else ""
            check = f"\nwith check ({self.withcheck})" if self.withcheck else ""
            return (f"create policy {identifier(self.name)}\non {self.quoted_full_table_name}\n"
                    f"as {self.permissiveness}\nfor {self.commandtype_keyword}\nto {roles}"
                    f"{using}{check};\n")

    class Selectable(obj.InspectedSelectable):
        @property
        def attach_statement(self) -> str | None:
            if self.parent_table and self.partition_def:
                return (f"alter table {self.parent_table} attach partition "
                        f"{self.quoted_full_name} {self.partition_def};")
            return super().attach_statement

    return {obj.InspectedEnum: Enum, obj.InspectedRowPolicy: RowPolicy,
            obj.InspectedSelectable: Selectable}


def corrected(inspector, obj) -> None:
    """Give the inspector's enums, policies and relations their corrected classes, in place.

    Args:
        inspector: a schemainspect `PostgreSQL` inspector, already loaded.
        obj: the module `schemainspect.pg.obj` it was made with.
    """
    classes = _classes(obj)
    for found in (inspector.enums, inspector.rlspolicies, inspector.relations,
                  inspector.tables, inspector.selectables):
        for item in found.values():
            better = classes.get(type(item))
            if better is not None:
                item.__class__ = better
