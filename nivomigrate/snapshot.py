"""One normalised model of a database schema, its fingerprint, and the differences of two.

A `Snapshot` maps every managed object to its attributes under a qualified key
(`table public.Log`, `column public.Log.level`, `index public.Log_projectId_idx`). What does
not change behaviour is left out, so that it is never a difference: column order (columns
are keyed by name), creation order, OIDs, owners (but those of views and SECURITY DEFINER
functions, whose rights they run with), the session's search_path (names are
printed with `search_path = pg_catalog`, so every user object is schema-qualified), and the
formatting details that PostgreSQL 15, 16 and 17 print differently (whitespace in view and
function bodies, the NOT NULL rows PostgreSQL 18 adds to pg_constraint).

What security depends on is in: privileges (`grant on table public.Log to anon`, one object
per grantee whose privileges differ from PostgreSQL's default, so a REVOKE of a default shows
too), column, sequence, function and schema privileges alike, default privileges
(`default_privileges for current_user in public on tables to anon`), RLS enabled/forced and
policies, view options (`security_invoker`, `security_barrier`), function settings
(`security_definer`, `settings` such as search_path). A role that owns or grants is printed
`owner` when it is the object's owner and `current_user` when it is the role reading, so the
same schema read by different migration roles is the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.catalog import DEFAULT_EXCLUDED, EXCLUDED_TABLES, Catalog, read_catalog
from nivomigrate.catalog.platform import Platform

if TYPE_CHECKING:
    import psycopg

SNAPSHOT_FORMAT = 1

# Attributes whose text is normalised: runs of whitespace become one space.
_FREE_TEXT = {"view": ("definition",), "materialized view": ("definition",),
              "function": ("definition",), "procedure": ("definition",)}
# The kinds `_normalised` changes (free text; views' definitions and options); the others'
# attributes are kept as read.
_NORMALISED_KINDS = frozenset(_FREE_TEXT)


@dataclass(frozen=True)
class Snapshot:
    """The managed objects of one database, keyed `"<kind> <qualified name>"`."""

    objects: Mapping[str, Mapping[str, object]]
    fingerprint: str
    server_version: int
    # The platform's part left out (not in the fingerprint).
    platform: Platform = Platform()

    def to_json(self) -> dict:
        """The snapshot as JSON data (`from_json` gives it back equal)."""
        platform = {name: sorted(getattr(self.platform, name))
                    for name in ("schemas", "relations", "routines", "roles")}
        return {"objects": self.objects, "fingerprint": self.fingerprint,
                "server_version": self.server_version, "platform": platform}

    @classmethod
    def from_json(cls, data: dict) -> Snapshot:
        platform = Platform(**{name: frozenset(names)
                               for name, names in data["platform"].items()})
        return cls(data["objects"], data["fingerprint"], data["server_version"], platform)


@dataclass(frozen=True)
class ChangedObject:
    """An object on both sides whose attributes differ: (attribute, expected, actual)."""

    key: str
    differences: tuple[tuple[str, object, object], ...]


@dataclass(frozen=True)
class SchemaDiff:
    """How an actual schema differs from the expected one, by object key.

    `added`: only in the expected schema; `removed`: only in the actual one; `changed`: on
    both, different. (Staging against production: what promoting staging would change.)
    """

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[ChangedObject, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def keys(self) -> dict[str, list[str]]:
        """Return the keys of each list, as written in a diff case's expected.json."""
        return {"added": list(self.added), "removed": list(self.removed),
                "changed": [change.key for change in self.changed]}

    def entries(self, expected: str = "expected", actual: str = "actual") -> list[tuple[str, str]]:
        """Return (key, text) per differing object; the text names the side or what differs."""
        entries = [(key, f"{key} only in {expected}") for key in self.added]
        entries += [(key, f"{key} only in {actual}") for key in self.removed]
        for change in self.changed:
            details = "; ".join(f"{attribute}: {left!r} vs {right!r}"
                                for attribute, left, right in change.differences[:3])
            entries.append((change.key, f"{change.key} differs ({details})"))
        return entries

    def summary(self, expected: str = "expected", actual: str = "actual", limit: int = 5) -> str:
        """Return the first `limit` entries' texts on one line, and how many more there are."""
        texts = [text for _, text in self.entries(expected, actual)]
        more = f" and {len(texts) - limit} more" if len(texts) > limit else ""
        return ", ".join(texts[:limit]) + more


def take_snapshot(
    conn: psycopg.Connection,
    *,
    exclude_schemas: frozenset[str] | set[str] = DEFAULT_EXCLUDED,
    exclude_tables: frozenset[str] | set[str] = EXCLUDED_TABLES,
) -> Snapshot:
    """Read the managed schema through `conn`; only reads (one transaction, two queries).

    The platform's part of the database (nivomigrate/catalog/platform.py) is always left out.

    Args:
        exclude_schemas: schemas left out besides pg_* ones and the platform's.
        exclude_tables: "schema.table" names left out, with their indexes and constraints.
    """
    return snapshot_of_catalog(read_catalog(conn, exclude_schemas=exclude_schemas,
                                            exclude_tables=exclude_tables))


def snapshot_of_catalog(catalog: Catalog) -> Snapshot:
    """Return the snapshot of catalog rows read by `catalog.read_catalog`."""
    objects = {key: dict(attributes) for key, attributes in snapshot_objects(catalog).items()}
    return Snapshot(objects, fingerprint(objects), catalog.server_version, catalog.platform)


def snapshot_objects(catalog: Catalog) -> dict[str, Mapping[str, object]]:
    """Return the snapshot's objects of `catalog`'s rows, normalised, without the fingerprint
    (for a reader that only compares two of them: `compare_objects`).

    Where nothing is normalised an object's attributes are its row's (read-only, not copied).
    """
    schemas = set(catalog.of("schema"))
    objects = {}
    for kind, rows in catalog.rows.items():
        if kind == "default_privileges" and catalog.platform.owns_default_privileges:
            continue
        normalised = kind in _NORMALISED_KINDS
        for name, row in rows.items():
            objects[f"{kind} {name}"] = (_normalised(kind, dict(row.attributes), schemas)
                                         if normalised else row.attributes)
    if objects.get(_PUBLIC_SCHEMA_USAGE) == {"privileges": ["USAGE"]}:
        del objects[_PUBLIC_SCHEMA_USAGE]  # PostgreSQL 15's initial grant: every database has it
    return objects


_PUBLIC_SCHEMA_USAGE = "grant on schema public to PUBLIC"


def _normalised(kind: str, attributes: dict, schemas: set[str]) -> dict:
    for name in _FREE_TEXT.get(kind, ()):
        if isinstance(attributes.get(name), str):
            attributes[name] = re.sub(r"\s+", " ", attributes[name]).strip()
    if kind in {"view", "materialized view"} and attributes.get("definition"):
        attributes["definition"] = _unqualified_columns(attributes["definition"], schemas)
    if isinstance(attributes.get("options"), dict):
        attributes["options"] = {name: _option_value(value)
                                 for name, value in attributes["options"].items()}
    return attributes


def _option_value(value: str) -> str:
    """Return a storage option's value with booleans spelt one way (`on`, `1` -> `true`)."""
    lowered = value.lower()
    if lowered in {"on", "true", "yes", "1", "t", "y"}:
        return "true"
    if lowered in {"off", "false", "no", "0", "f", "n"}:
        return "false"
    return value


def _unqualified_columns(definition: str, schemas: set[str]) -> str:
    """Drop the table qualifier of column references ("z.id" -> "id"), kept on relations.

    PostgreSQL 16 stopped printing it when a view reads one relation; 15 prints it always.
    A view whose only change is which joined table a same-named column comes from is
    therefore not seen as changed.
    """
    def strip(match: re.Match) -> str:
        qualifier = match.group(1)
        return match.group(0) if qualifier.strip('"') in schemas | {"pg_catalog"} else ""

    return re.sub(r'(?<![\w."$])("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\.(?=[A-Za-z_"])', strip,
                  definition)


def fingerprint(objects: Mapping[str, Mapping[str, object]]) -> str:
    """Return the sha256 (hex) of the canonical JSON of `objects`."""
    canonical = json.dumps({"format": SNAPSHOT_FORMAT, "objects": objects}, sort_keys=True,
                           separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def compare(expected: Snapshot, actual: Snapshot) -> SchemaDiff:
    """Return how `actual` differs from `expected`; empty when equal."""
    if expected.fingerprint == actual.fingerprint:
        return SchemaDiff()
    return compare_objects(expected.objects, actual.objects)


def compare_objects(expected: Mapping[str, Mapping[str, object]],
                    actual: Mapping[str, Mapping[str, object]]) -> SchemaDiff:
    """Return how the `actual` objects differ from the `expected` ones; empty when equal."""
    expected_keys, actual_keys = set(expected), set(actual)
    changed = []
    for key in sorted(key for key in expected_keys & actual_keys if expected[key] != actual[key]):
        wanted, found = expected[key], actual[key]
        differences = tuple((name, wanted.get(name), found.get(name))
                            for name in sorted(set(wanted) | set(found))
                            if wanted.get(name) != found.get(name))
        changed.append(ChangedObject(key, differences))
    return SchemaDiff(
        added=tuple(sorted(expected_keys - actual_keys)),
        removed=tuple(sorted(actual_keys - expected_keys)),
        changed=tuple(changed),
    )
