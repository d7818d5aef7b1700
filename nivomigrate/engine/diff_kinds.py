"""The diff's kinds table: which scripting function writes the statements of each object kind.

Every kind the catalog floor reads (`nivomigrate.catalog.KINDS`) has a row here. A kind with
its own function is scripted from the two catalogs' rows, every name and literal through
`nivomigrate.quoting`, with no migra involved; the others are still migra's statements
(`MIGRA`, corrected in `migra_fixes.py`) or `diff_catalog`'s (`CATALOG_ITEMS`: privileges,
default privileges). Adding an object kind: one `catalog/kinds/<kind>.sql`, one row in
`catalog.KINDS`, one function and one row here, tests (docs/architecture.md).

A scripting function takes the source's and the target's catalog and returns `Placed`
statements: `early` run before anything else is created (what tables and types may use),
`late` after everything else is dropped (what the dropped objects used).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.quoting import identifier, literal

if TYPE_CHECKING:
    from nivomigrate.catalog import Catalog


@dataclass(frozen=True)
class Placed:
    """Statements by where they go: before every other creation, after every other drop."""

    early: tuple[str, ...] = ()
    late: tuple[str, ...] = ()


def script_schemas(source: Catalog, target: Catalog) -> Placed:
    """CREATE the target's new schemas first, DROP the source's old ones last."""
    before, after = source.of("schema"), target.of("schema")
    return Placed(
        early=tuple(f"create schema if not exists {identifier(name)};"
                    for name in sorted(set(after) - set(before))),
        late=tuple(f"drop schema if exists {identifier(name)};"
                   for name in sorted(set(before) - set(after))))


def script_extensions(source: Catalog, target: Catalog) -> Placed:
    """CREATE, move (SET SCHEMA), update (UPDATE TO) or DROP each differing extension.

    New ones are made early (tables use their types), with the target's version; a dropped
    one goes last, after the columns that used its types.
    """
    before, after = source.of("extension"), target.of("extension")
    early, late = [], []
    for name, row in sorted(after.items()):
        schema, version = row.attributes["schema"], row.attributes["version"]
        old = before.get(name)
        if old is None:
            early.append(f"create extension if not exists {identifier(name)} with schema "
                         f"{identifier(schema)} version {literal(version)};")
            continue
        if old.attributes["schema"] != schema:
            early.append(f"alter extension {identifier(name)} set schema {identifier(schema)};")
        if old.attributes["version"] != version:
            early.append(f"alter extension {identifier(name)} update to {literal(version)};")
    late = [f"drop extension if exists {identifier(name)};"
            for name in sorted(set(before) - set(after))]
    return Placed(tuple(early), tuple(late))


# Who writes each kind's statements: a function here, migra, or diff_catalog's item scripts.
MIGRA = "migra"
CATALOG_ITEMS = "diff_catalog"
SCRIPTS: dict[str, Callable[[Catalog, Catalog], Placed] | str] = {
    "schema": script_schemas,
    "extension": script_extensions,
    "collation": MIGRA,
    "enum": MIGRA,
    "domain": CATALOG_ITEMS,
    "type": MIGRA,
    "sequence": MIGRA,
    "table": MIGRA,
    "column": MIGRA,
    "index": MIGRA,
    "constraint": MIGRA,
    "view": MIGRA,
    "materialized view": MIGRA,
    "function": MIGRA,
    "procedure": MIGRA,
    "trigger": MIGRA,
    "policy": MIGRA,
    "grant": CATALOG_ITEMS,
    "default_privileges": CATALOG_ITEMS,
}


def script(source: Catalog, target: Catalog) -> Placed:
    """Return the statements of every kind scripted here, in the kinds table's order."""
    placed = [function(source, target) for function in SCRIPTS.values() if callable(function)]
    return Placed(tuple(s for part in placed for s in part.early),
                  tuple(s for part in reversed(placed) for s in part.late))
