"""What the registered checks read besides their subject: one context per family.

A lint check is `check(revision, LintContext) -> list[Finding]`; a coverage check is
`check(CoverageContext) -> list[Finding]`. The engine gathers the facts once (policies, the
read-only sessions, the catalog's indexes, the hot queries' plans) and every check judges them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

    from nivomigrate.checks.hot_query_index import Coverage
    from nivomigrate.checks.hot_query_plan import PlanVerdict
    from nivomigrate.indexes import IndexInfo
    from nivomigrate.policies.hot_queries import HotQuery
    from nivomigrate.policies.promotion import PromotionPolicy
    from nivomigrate.policies.services import ServiceMap


@dataclass(frozen=True)
class LintContext:
    """The policies, and a read-only session per environment where the revision is pending.

    `rehearsal` names the environments (staging: promoted from nowhere) where an index drop
    may be rehearsed in a transaction that is rolled back; `memo` keeps what several checks of
    one revision share (the hot queries' simulated plans, by environment)."""

    policy: PromotionPolicy
    services: ServiceMap
    databases: Mapping[str, psycopg.Connection] = field(default_factory=dict)
    hot_queries: tuple[HotQuery, ...] = ()
    rehearsal: frozenset[str] = frozenset()
    memo: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class CoverageContext:
    """One database's indexes, its hot queries, how each is served, and their plans."""

    conn: psycopg.Connection
    queries: list[HotQuery]
    indexes: list[IndexInfo]
    coverages: list[Coverage]
    verdicts: Mapping[str, PlanVerdict]
    with_usage: bool = True
    services: ServiceMap | None = None  # services.yaml, for service-access
    # A shadow database (plan's head schema): anon-access does not judge it (the state of a
    # real environment is what the anon key meets; revisions are anon-opened's).
    is_shadow: bool = False
