"""The checks, one module each, in the order their findings are reported.

Lint checks read a pending revision (and the databases it will run on); coverage checks read a
database's catalog and plans. Each module's docstring says why it exists; its NAME is the one
used in policies, waivers, output and docs.
"""

from nivomigrate.checks import (
    blocking_lock_on_large_table,
    destructive_change,
    hot_query_index,
    hot_query_plan,
    integrity,
    lock_footprint,
    non_resumable,
    redundant_index,
    service_still_uses,
    sql_lint,
)

LINT_CHECKS = (sql_lint, blocking_lock_on_large_table, service_still_uses, destructive_change,
               non_resumable)
RUN_CHECKS = (lock_footprint, integrity)
COVERAGE_CHECKS = (hot_query_index, hot_query_plan, redundant_index)
CHECKS = LINT_CHECKS + COVERAGE_CHECKS + RUN_CHECKS
