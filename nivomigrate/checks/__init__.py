"""The checks, one module each, registered here in the order their findings are reported.

Each module's docstring says why it exists; its NAME is the one used in policies, waivers,
output and docs, and its `EXIT_CODE` (default 1) is the command's exit code when it blocks.

- LINT_CHECKS read a pending revision's SQL, with the policies and the databases it will run
  on: `check(revision, LintContext)`. `lint`, `plan` and `apply` iterate them.
- COVERAGE_CHECKS judge one database's indexes and hot-query plans: `check(CoverageContext)`.
  `coverage`, `plan` and apply's verification iterate them.
- RUN_CHECKS judge what a run measured (the lock footprint on staging, and the duration it
  projects onto prod, which plan shows and promote's gate judges).
- GATE_CHECKS are the promotion gate's bookkeeping: edited revisions, uncommitted files,
  drift, staging's passed run, verification after a run, models against revisions, adoption.
  Each is called where its facts are gathered.
"""

from nivomigrate.checks import (
    anon_access,
    anon_opened,
    baseline_match,
    blocking_lock_on_large_table,
    checksum,
    destructive_change,
    dirty_tree,
    drift,
    duration_budget,
    dynamic_sql,
    hot_query_index,
    hot_query_plan,
    hot_query_plan_change,
    integrity,
    live_readers,
    lock_footprint,
    models_match,
    new_index_used,
    non_resumable,
    one_way,
    phase,
    platform_defaults,
    precondition,
    redundant_index,
    service_access,
    service_still_uses,
    signed_run,
    single_head,
    sql_lint,
    staging_changed,
    staging_check,
    staging_run,
    unmapped_table,
    unversioned,
    verify,
)

LINT_CHECKS = (sql_lint, blocking_lock_on_large_table, service_still_uses, destructive_change,
               precondition, non_resumable, hot_query_plan_change, new_index_used, anon_opened,
               dynamic_sql, phase)
COVERAGE_CHECKS = (hot_query_index, hot_query_plan, redundant_index, anon_access,
                   service_access)
RUN_CHECKS = (lock_footprint, integrity, duration_budget)
GATE_CHECKS = (single_head, checksum, dirty_tree, unversioned, drift, staging_run, signed_run,
               staging_changed,
               platform_defaults, verify, staging_check, models_match, baseline_match,
               unmapped_table, one_way, live_readers)
CHECKS = LINT_CHECKS + COVERAGE_CHECKS + RUN_CHECKS + GATE_CHECKS
