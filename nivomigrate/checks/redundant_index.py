"""redundant-index: indexes that another index already makes useless, and indexes never scanned.

Problem: every index is written on every insert and update of its table; on NivoStack's ingest
tables (Log, ApiTrace, Session) each extra index slows every SDK request and takes disk and
cache. Prisma schemas often declare `@@index([projectId])` beside `@@index([projectId, x])`,
or `@@index([token])` beside `@unique` on the same field. Do instead: drop the redundant index
with DROP INDEX CONCURRENTLY in its own revision, after checking nothing else needs it.

An index is redundant to another on the same table when both are valid B-tree (or both the
same method), neither is partial, its key columns are a left prefix of the other's with the
same operator classes, collations and directions (or all reversed), its INCLUDE columns are
among the other's columns, and it backs no constraint and no foreign key. A unique index is
never redundant to a non-unique one; two identical indexes make the later one redundant.
Indexes never scanned since the statistics were reset are reported for information.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nivomigrate.findings import Finding, Location, Severity
from nivomigrate.indexes import IndexInfo, read_indexes
from nivomigrate.quoting import identifier
from nivomigrate.sizes import format_bytes

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.context import CoverageContext

NAME = "redundant-index"

_USAGE_SQL = """
select s.indexrelid::int, s.idx_scan, d.stats_reset::text
from pg_stat_user_indexes s
cross join (select stats_reset from pg_stat_database where datname = current_database()) d
"""


@dataclass(frozen=True)
class Redundancy:
    """An index that `kept` makes unnecessary, and what dropping it saves."""

    index: IndexInfo
    kept: IndexInfo

    @property
    def is_duplicate(self) -> bool:
        return [k.definition for k in self.index.keys] == [k.definition for k in self.kept.keys]

    @property
    def drop_statement(self) -> str:
        name = identifier(self.index.schema, self.index.name)
        return f"DROP INDEX CONCURRENTLY IF EXISTS {name};"


def find_redundant(indexes: list[IndexInfo]) -> list[Redundancy]:
    """Return each redundant index with the index that makes it so (one per redundant index)."""
    by_table: dict[tuple[str, str], list[IndexInfo]] = {}
    for index in indexes:
        by_table.setdefault((index.schema, index.table), []).append(index)
    keepers: dict[int, list[IndexInfo]] = {}
    for table_indexes in by_table.values():
        for index in table_indexes:
            found = [other for other in table_indexes if _makes_redundant(other, index)]
            if found:
                keepers[index.oid] = found
    # Name as the kept index one that stays (prefix is transitive, so one always does).
    return sorted(
        (Redundancy(index, min(keepers[index.oid], key=lambda k: (
            k.oid in keepers, not k.is_unique, len(k.keys), k.name)))
         for index in indexes if index.oid in keepers),
        key=lambda r: (r.index.table, r.index.name),
    )


def _makes_redundant(kept: IndexInfo, index: IndexInfo) -> bool:
    if kept.oid == index.oid or not (kept.is_usable and index.is_usable):
        return False
    if kept.method != index.method or kept.predicate or index.predicate:
        return False
    if index.constraint or index.is_referenced or index.is_primary:
        return False
    if index.is_unique and not (kept.is_unique and len(kept.keys) == len(index.keys)):
        return False
    if len(index.keys) > len(kept.keys) or (index.method != "btree"
                                            and len(index.keys) != len(kept.keys)):
        return False
    prefix = kept.keys[: len(index.keys)]
    same = all(_same_key(a, b) for a, b in zip(index.keys, prefix, strict=True))
    reversed_ = all(_same_key(a, b, reverse=True) for a, b in zip(index.keys, prefix, strict=True))
    kept_columns = {k.definition for k in kept.keys} | set(kept.include)
    if not (same or reversed_) or not set(index.include) <= kept_columns:
        return False
    if _is_identical(kept, index):
        # Two of a kind: keep the one backing a constraint, else the older one (lower oid).
        if kept.constraint or kept.is_referenced or (kept.is_unique and not index.is_unique):
            return True
        return kept.is_unique == index.is_unique and kept.oid < index.oid
    return True


def _same_key(index_key, kept_key, *, reverse: bool = False) -> bool:
    directions_match = (
        (index_key.is_descending != reverse) == kept_key.is_descending
        and (index_key.is_nulls_first != reverse) == kept_key.is_nulls_first
    )
    return (index_key.definition == kept_key.definition and index_key.opclass == kept_key.opclass
            and index_key.collation == kept_key.collation and directions_match)


def _is_identical(first: IndexInfo, second: IndexInfo) -> bool:
    return (len(first.keys) == len(second.keys) and set(first.include) == set(second.include))


def findings(conn: psycopg.Connection, indexes: list[IndexInfo],
             with_usage: bool = True) -> list[Finding]:
    """Return a WARNING per redundant index and, `with_usage`, one INFO per table with
    never-scanned indexes (meaningless on a shadow database, which no service queries)."""
    redundant = find_redundant(indexes)
    found = [_redundant_finding(r) for r in redundant]
    if with_usage:
        found += _unused_findings(conn, indexes, {r.index.oid for r in redundant})
    return found


def run(conn: psycopg.Connection) -> list[Finding]:
    """Check the indexes of `conn` for redundant and never-scanned ones."""
    return findings(conn, read_indexes(conn))


def _redundant_finding(redundancy: Redundancy) -> Finding:
    index, kept = redundancy.index, redundancy.kept
    relation = "duplicates" if redundancy.is_duplicate else "is a left prefix of"
    return Finding(
        check=NAME,
        severity=Severity.WARNING,
        message=f'index {index.name} on "{index.table}" {relation} {kept.kind} {kept.name}: '
        f"dropping it saves {format_bytes(index.size_bytes)} and a write on every change",
        location=Location(object=index.name),
        help=f"in a new revision (nivomigrate.ops.drop_index_concurrently): "
        f"{redundancy.drop_statement} and remove it from the models and schema.prisma",
        evidence=(("redundant", index.definition), ("kept", kept.definition),
                  ("size_bytes", str(index.size_bytes))),
    )


def _unused_findings(conn: psycopg.Connection, indexes: list[IndexInfo],
                     already: set[int]) -> list[Finding]:
    with conn.cursor() as cur:
        rows = cur.execute(_USAGE_SQL).fetchall()
    scans = {oid: count for oid, count, _ in rows}
    since = rows[0][2] if rows and rows[0][2] else "the server started keeping statistics"
    unused: dict[str, list[IndexInfo]] = {}
    for index in indexes:
        if (scans.get(index.oid) == 0 and index.is_usable and not index.is_unique
                and not index.constraint and index.oid not in already):
            unused.setdefault(index.table, []).append(index)
    return [
        Finding(
            check=NAME,
            severity=Severity.INFO,
            message=f'{len(table_indexes)} index(es) of "{table}" never scanned since {since}: '
            + ", ".join(i.name for i in table_indexes),
            location=Location(object=table),
            help="on production with real traffic, an index never scanned for weeks is a "
            "candidate to drop (staging statistics say little)",
            evidence=tuple((i.name, format_bytes(i.size_bytes)) for i in table_indexes),
        )
        for table, table_indexes in sorted(unused.items())
    ]



def check(ctx: CoverageContext) -> list[Finding]:
    """The registry's entry: redundant indexes (and, with usage, never-scanned ones)."""
    return findings(ctx.conn, ctx.indexes, ctx.with_usage)
