"""The HTML report's pictures are drawn from the report's data alone."""

from nivomigrate.findings import Report
from nivomigrate.render.html_charts import changed_tables, footprint_rows

SQL = '''
CREATE TABLE "Invoice" (id text PRIMARY KEY, "userId" text REFERENCES "User"(id));
ALTER TABLE "Log" ADD COLUMN "tag" text;
ALTER TABLE ONLY public."Device" DROP COLUMN "legacy";
CREATE INDEX CONCURRENTLY IF NOT EXISTS "Log_tag_idx" ON "Log" USING btree ("tag");
DROP INDEX CONCURRENTLY IF EXISTS "Session_projectId_idx";
'''


def test_changed_tables_name_each_change_and_the_references():
    changes, edges = changed_tables([SQL], {})
    assert changes == {
        "Invoice": [("+", "new table")],
        "Log": [("+", "ADD COLUMN tag text"), ("+", "index (tag) Log_tag_idx")],
        "Device": [("−", "DROP COLUMN legacy")],
        "Session": [("−", "index Session_projectId_idx")],
    }
    assert edges == {("Invoice", "User")}


def test_footprint_rows_judge_against_the_table_limit():
    footprint = {"revision": "0003", "attempts": 1, "duration_s": 0.5, "statements": [{
        "sql": 'ALTER TABLE "Log" ADD COLUMN x int DEFAULT random()', "duration_s": 0.2,
        "locks": [{"relation": "Log", "mode": "AccessExclusiveLock"}],
        "tables": [{"table": "Log", "rows": 10, "bytes": 8192, "projected_s": 0.9}]}]}
    report = Report("apply", "t", data={"footprint": [footprint], "exit_code": 0, "lock_limits": {
        "default_ms": 1000, "tables": {"Log": 500}}})
    (row,) = footprint_rows(report)
    assert (row["measured_ms"], row["projected_ms"], row["limit_ms"]) == (200, 900, 500)
    assert row["blocks_writes"] and row["label"].startswith('0003: ALTER TABLE "Log"')
