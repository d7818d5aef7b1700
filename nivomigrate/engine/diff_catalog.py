"""What the schema diff scripts from the catalog's items (`items.sql`), besides the kinds' rows.

GRANT and REVOKE (PUBLIC included), default privileges, COMMENT, view and table options
(`security_invoker`, `security_barrier`, `fillfactor`), REPLICA IDENTITY, row level security
flags (ENABLE, FORCE), identity sequence options and domains: the catalog floor reads those
from each database (`nivomigrate/catalog/items.sql`, `Catalog.items`); this module writes the
statements that turn the source's into the target's. No library does this for PostgreSQL
catalogs without a dependency as large as a schema-diff tool, hence by hand.

Objects the rest of the script creates, or drops and re-creates, start from what a new
object gets: no comment, no options, and the source's default privileges for its owner (so
the target owner's name is assumed to exist in the source, as it does between environments
of one project). Privileges of an object's owner are left alone (owners are not compared
anywhere).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nivomigrate.catalog import Item as CatalogItem
from nivomigrate.catalog import Items as Catalog
from nivomigrate.catalog.acl import BUILT_IN, DEFAULT_ACL_KINDS, OBJTYPE_OF_ACL_KIND
from nivomigrate.quoting import identifier, literal

__all__ = ["Catalog", "CatalogItem", "CatalogScript", "script"]
_QUOTED = r'"((?:[^"]|"")*)"'


@dataclass(frozen=True)
class CatalogScript:
    """Statements by where they go among the kinds' (`diff_kinds`): first, before the tables,
    after all, last."""

    first: list[str]
    before_tables: list[str]
    after_all: list[str]
    last: list[str]


def dropped_objects(statements: list[str]) -> set[tuple[str, ...]]:
    """Return the objects (as `ident` tuples) that these statements (the script's own, every
    name quoted by `quoting.identifier`) drop or re-create."""
    dropped: set[tuple[str, ...]] = set()
    for statement in statements:
        text = statement.strip()
        names = [name.replace('""', '"') for name in re.findall(_QUOTED, text)]
        lowered = text.lower()
        if re.match(r"(drop (table|view|materialized view|type|sequence|index)|create type)\b",
                    lowered) and len(names) >= 2:
            dropped.add(("rel", names[0], names[1]))
        elif lowered.startswith(("drop function", "drop procedure")) and len(names) >= 2:
            name_end = text.index(identifier(names[1])) + len(identifier(names[1]))
            arguments = text[text.index("(", name_end) + 1:text.rindex(")")]
            dropped.add(("func", names[0], names[1], arguments))
        elif re.match(r"alter table .* drop (constraint|column)\b", lowered) and len(names) >= 3:
            dropped.add(("sub", names[0], names[1], names[2]))
        elif lowered.startswith(("drop trigger", "drop policy")) and len(names) >= 3:
            dropped.add(("sub", names[1], names[2], names[0]))
    return dropped


@dataclass(frozen=True)
class _Sides:
    source: Catalog
    target: Catalog
    dropped: set[tuple[str, ...]]

    def before(self, kind: str, item: CatalogItem):
        """The source's value of `item`, None when the script creates or re-creates its
        object."""
        old = self.source.of(kind).get(item.key)
        if old is None or item.ident in self.dropped or item.parent in self.dropped:
            return None
        return old.value

    def in_target(self, ident) -> bool:
        return ident in {item.ident for item in self.target.of("acl").values()}


def script(source: Catalog, target: Catalog, created_keys: set[str],
           statements: list[str], remade: frozenset[tuple[str, str]] = frozenset(),
           default_privileges: bool = True) -> CatalogScript:
    """Return what turns `source`'s catalog items into `target`'s, around the kinds' statements.

    Args:
        created_keys: snapshot keys ("function public.f()") new or changed in the target.
        statements: the kinds' drops and table statements, to know which objects they drop
            or re-create.
        remade: the (schema, name) of the relations dropped and created again, also those a
            parent's drop takes along (no statement names them).
        default_privileges: script ALTER DEFAULT PRIVILEGES too (not where they are the
            platform's configuration, as on Supabase: snapshot.py leaves them out there).
    """
    sides = _Sides(source, target, dropped_objects(statements)
                   | {("rel", schema, name) for schema, name in remade})
    early_functions = [str(item.value).rstrip() + ";" for key, item in
                       sorted(target.of("default_function").items()) if key in created_keys]
    if early_functions:  # their bodies may use tables made later, as pg_dump's output does
        early_functions.insert(0, "set check_function_bodies = off;")
    domains_before, domains_last = _domains(source, target)
    first = (_options_reset(sides) + _row_security_off(sides) + _comments_removed(sides)
             + _column_privileges_revoked(sides))
    after = (_identities(sides) + _replica_identities(sides) + _options_set(sides)
             + _row_security_on(sides)
             + _privileges(sides) + _column_privileges(sides) + _comments(sides)
             + (_default_privileges(source, target) if default_privileges else []))
    return CatalogScript(first, domains_before + early_functions, after, domains_last)


def _identities(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.target.of("identity").items()):
        if sides.before("identity", item) == item.value:
            continue
        start, increment, minimum, maximum, cache, cycle = item.value
        statements.append(
            f"alter {key} set start with {start} set increment by {increment} "
            f"set minvalue {minimum} set maxvalue {maximum} set cache {cache} "
            f"set {'' if cycle else 'no '}cycle;")
    return statements


def _replica_identities(sides: _Sides) -> list[str]:
    """REPLICA IDENTITY of each table whose identity differs (after its index exists)."""
    statements = []
    source, target = sides.source.of("replica_identity"), sides.target.of("replica_identity")
    for key in sorted(set(source) | set(target)):
        old, new = source.get(key), target.get(key)
        ident = (new or old).ident
        if not sides.in_target(ident):
            continue
        before = None if old is None or ident in sides.dropped else old.value
        after = new.value if new is not None else None
        if before != after:
            statements.append(f"alter {key} replica identity {after or 'default'};")
    return statements


def _options(value) -> dict[str, str]:
    return dict(option.split("=", 1) for option in value or ())


def _options_reset(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.source.of("options").items()):
        if not sides.in_target(item.ident):
            continue
        gone = sorted(set(_options(item.value))
                      - set(_options(getattr(sides.target.of("options").get(key), "value", ()))))
        if gone:
            statements.append(f"alter {key} reset ({', '.join(gone)});")
    return statements


def _options_set(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.target.of("options").items()):
        before = _options(sides.before("options", item))
        changed = {name: value for name, value in _options(item.value).items()
                   if before.get(name) != value}
        if changed:
            pairs = ", ".join(f"{name} = {literal(value)}"  # in the target's order
                              for name, value in changed.items())
            statements.append(f"alter {key} set ({pairs});")
    return statements


def _row_security_off(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.source.of("row_security").items()):
        if not sides.in_target(item.ident):
            continue
        enabled, forced = getattr(sides.target.of("row_security").get(key), "value",
                                  [False, False])
        if item.value[1] and not forced:
            statements.append(f"alter {key} no force row level security;")
        if item.value[0] and not enabled:
            statements.append(f"alter {key} disable row level security;")
    return statements


def _row_security_on(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.target.of("row_security").items()):
        before = sides.before("row_security", item) or [False, False]
        if item.value[0] and not before[0]:
            statements.append(f"alter {key} enable row level security;")
        if item.value[1] and not before[1]:
            statements.append(f"alter {key} force row level security;")
    return statements


def _entries(value) -> set[tuple[str, str, bool]]:
    return {(grantee, privilege, grantable) for grantee, privilege, grantable in value}


def _creation_privileges(source: Catalog, owner: str, schema: str, objtype: str) -> set:
    """What an object of `objtype` made by `owner` in `schema` gets in the source."""
    defaults = source.of("default_acl")
    kind = OBJTYPE_OF_ACL_KIND[objtype]
    global_item = defaults.get(f"FOR ROLE {owner}|{kind}")
    granted = _entries(global_item.value["entries"]) if global_item else set(
        BUILT_IN.get(objtype, set()))
    for item in defaults.values():
        if item.ident == (owner, schema, kind):
            granted |= _entries(item.value["entries"])
    return granted


def _granted(value: dict) -> set[tuple[str, str, bool]]:
    """The privileges of one `acl` item; no ACL (None) means the built-in default."""
    if value["entries"] is None:
        return set(BUILT_IN.get(value["objtype"], set()))
    return _entries(value["entries"])


def _privileges(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.target.of("acl").items()):
        value, before = item.value, sides.before("acl", item)
        old = _granted(before) if before is not None else _creation_privileges(
            sides.source, value["owner"], value["schema"], value["objtype"])
        statements += _grants_and_revokes(key, old, _granted(value))
    return statements


def _grants_and_revokes(on: str, before: set, after: set, prefix: str = "",
                        column: str = "") -> list[str]:
    """Return REVOKE then GRANT statements turning `before` into `after` on `on` ("TABLE x").

    `column`: the privileges are that column's (`GRANT SELECT (column) ON TABLE x`).
    """
    noun, _, name = on.partition(" ")
    target = f"{noun.lower()} {name}".rstrip()
    of = f" ({column})" if column else ""
    granted_before = {(grantee, privilege): option for grantee, privilege, option in before}
    granted_after = {(grantee, privilege): option for grantee, privilege, option in after}
    statements = []
    for (grantee, privilege), option in sorted(granted_before.items()):
        if (grantee, privilege) not in granted_after:
            statements.append(f"{prefix}revoke {privilege.lower()}{of} on {target} "
                              f"from {grantee};")
        elif option and not granted_after[(grantee, privilege)]:
            statements.append(f"{prefix}revoke grant option for {privilege.lower()}{of} "
                              f"on {target} from {grantee};")
    for (grantee, privilege), option in sorted(granted_after.items()):
        had = granted_before.get((grantee, privilege))
        if had is None or (option and not had):
            statements.append(f"{prefix}grant {privilege.lower()}{of} on {target} to {grantee}"
                              f"{' with grant option' if option else ''};")
    return statements


def _column_privileges_revoked(sides: _Sides) -> list[str]:
    """Column privileges the target lacks, revoked first (the column exists then)."""
    statements = []
    for key, item in sorted(sides.source.of("column_acl").items()):
        after = sides.target.of("column_acl").get(key)
        if after is None:
            table, _, column = key.partition("|")
            statements += _grants_and_revokes(f"TABLE {table}", _entries(item.value), set(),
                                              column=column)
    return statements


def _column_privileges(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.target.of("column_acl").items()):
        before = sides.before("column_acl", item)
        table, _, column = key.partition("|")
        statements += _grants_and_revokes(f"TABLE {table}", _entries(before or ()),
                                          _entries(item.value), column=column)
    return statements


def _default_privileges(source: Catalog, target: Catalog) -> list[str]:
    statements = []
    source_defaults, target_defaults = source.of("default_acl"), target.of("default_acl")
    schemas = {item.ident[1] for item in target.of("acl").values() if item.ident[0] == "schema"}
    for key in sorted(set(source_defaults) | set(target_defaults)):
        item = target_defaults.get(key) or source_defaults[key]
        _role, schema, kind = item.ident
        if schema and schema not in schemas:
            continue
        acl_kind, noun = DEFAULT_ACL_KINDS[kind].acl_kind, DEFAULT_ACL_KINDS[kind].noun.upper()
        empty = set() if schema else set(BUILT_IN.get(acl_kind, set()))
        before = _entries(source_defaults[key].value["entries"]) if key in source_defaults \
            else empty
        after = _entries(target_defaults[key].value["entries"]) if key in target_defaults \
            else empty
        prefix = f"alter default privileges {key.split('|', 1)[0].lower()} "
        statements += _grants_and_revokes(noun, before, after, prefix)
    return statements


def _comments_removed(sides: _Sides) -> list[str]:
    """COMMENT ... IS NULL, run first: the object still exists then, even if dropped later."""
    return [f"comment on {key} is null;" for key in sorted(sides.source.of("comment"))
            if key not in sides.target.of("comment")]


def _comments(sides: _Sides) -> list[str]:
    statements = []
    for key, item in sorted(sides.target.of("comment").items()):
        if sides.before("comment", item) != item.value:
            statements.append(f"comment on {key} is {literal(item.value)};")
    return statements


def _domains(source: Catalog, target: Catalog) -> tuple[list[str], list[str]]:
    """Return domain statements before the tables (create, alter) and last (drop)."""
    before, last = [], []
    old_domains, new_domains = source.of("domain"), target.of("domain")
    for key, item in sorted(new_domains.items()):
        new = item.value
        if key not in old_domains:
            before.append(_create_domain(key, new))
            continue
        old = old_domains[key].value
        if (old["type"], old["collation"]) != (new["type"], new["collation"]):
            before.append(f"-- not scripted: domain {key} changes its type from "
                          f"{old['type']} to {new['type']}; drop and create it by hand")
            continue
        before += _alter_domain(key, old, new)
    for key in sorted(set(old_domains) - set(new_domains)):
        last.append(f"drop domain {key};")
    return before, last


def _create_domain(key: str, domain: dict) -> str:
    parts = [f"create domain {key} as {domain['type']}"]
    if domain["collation"]:
        parts.append(f"collate {domain['collation']}")
    if domain["default"] is not None:
        parts.append(f"default {domain['default']}")
    if domain["not_null"]:
        parts.append("not null")
    parts += [f"constraint {identifier(name)} {definition}"
              for name, definition in sorted(domain["checks"].items())]
    return " ".join(parts) + ";"


def _alter_domain(key: str, old: dict, new: dict) -> list[str]:
    statements = []
    if old["default"] != new["default"]:
        statements.append(f"alter domain {key} " + (
            f"set default {new['default']};" if new["default"] is not None else "drop default;"))
    if old["not_null"] != new["not_null"]:
        statements.append(f"alter domain {key} {'set' if new['not_null'] else 'drop'} not null;")
    for name, definition in sorted(old["checks"].items()):
        if new["checks"].get(name) != definition:
            statements.append(f"alter domain {key} drop constraint {identifier(name)};")
    for name, definition in sorted(new["checks"].items()):
        if old["checks"].get(name) != definition:
            statements.append(f"alter domain {key} add constraint {identifier(name)} {definition};")
    return statements
