"""The one default-ACL mapping: what each kind of pg_default_acl entry is called and defaults to.

`pg_default_acl.defaclobjtype` names the kind of object an entry is for; `acldefault()` takes
its own code for the same kind (a sequence is `S` in one and `s` in the other), and
ALTER DEFAULT PRIVILEGES names it with a plural noun. The catalog's queries get this mapping
as the `default_acl_kind` table of `managed.sql` (bound parameters), the Python code from
here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultAclKind:
    """One defaclobjtype: its acldefault() code and ALTER DEFAULT PRIVILEGES noun."""

    objtype: str
    acl_kind: str
    noun: str


DEFAULT_ACL_KINDS: dict[str, DefaultAclKind] = {kind.objtype: kind for kind in (
    DefaultAclKind("r", "r", "tables"),
    DefaultAclKind("S", "s", "sequences"),
    DefaultAclKind("f", "f", "functions"),
    DefaultAclKind("T", "T", "types"),
    DefaultAclKind("n", "n", "schemas"),
)}
# acldefault() code -> defaclobjtype (the reverse of the mapping above)
OBJTYPE_OF_ACL_KIND: dict[str, str] = {kind.acl_kind: kind.objtype
                                       for kind in DEFAULT_ACL_KINDS.values()}
# Privileges every role gets on a new object of an acldefault() kind when no default privileges
# say otherwise (the owner's own left out): PUBLIC may run functions and use types.
BUILT_IN: dict[str, frozenset[tuple[str, str, bool]]] = {
    "f": frozenset({("PUBLIC", "EXECUTE", False)}),
    "T": frozenset({("PUBLIC", "USAGE", False)}),
}


def parameters() -> dict[str, list[str]]:
    """Return the mapping as the `acl_*` parameters of `managed.sql`."""
    kinds = list(DEFAULT_ACL_KINDS.values())
    return {"acl_objtypes": [kind.objtype for kind in kinds],
            "acl_kinds": [kind.acl_kind for kind in kinds],
            "acl_nouns": [kind.noun for kind in kinds]}
