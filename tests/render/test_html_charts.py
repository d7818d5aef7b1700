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


def test_each_bar_names_its_lock_and_only_a_write_blocking_one_has_a_limit():
    from nivomigrate.render.html_charts import footprint_section, lock_text

    statements = [
        {"sql": 'CREATE INDEX CONCURRENTLY "Log_tag_idx" ON "Log" ("tag")', "duration_s": 3.0,
         "locks": [{"relation": "Log", "mode": "ShareUpdateExclusiveLock"}], "tables": []},
        {"sql": 'ALTER TABLE "Log" ADD COLUMN y int', "duration_s": 0.1,
         "locks": [{"relation": "Log", "mode": "AccessShareLock"},
                   {"relation": "Log", "mode": "AccessExclusiveLock"}], "tables": []}]
    report = Report("apply", "t", data={"exit_code": 0, "footprint": [
        {"revision": "0003", "attempts": 1, "duration_s": 3.1, "statements": statements}],
        "lock_limits": {"default_ms": 1000, "tables": {"Log": 500}}})

    concurrently, alter = footprint_rows(report)

    assert lock_text(concurrently) == ("ShareUpdateExclusiveLock: reads and writes go on; "
                                       "no limit")
    assert lock_text(alter) == "AccessExclusiveLock: blocks writes to Log; limit 500 ms"
    section = footprint_section(report)
    assert section.count("stroke-dasharray") == 1  # the one limit line: the ALTER's
    assert "max_lock_hold_ms" in section


def test_plan_matrix_keeps_the_hot_queries_of_the_tables_the_change_touches():
    from nivomigrate.render.html_charts import coverage_section

    queries = [{"name": f"q_{table}", "table": table, "index": None, "covered": False,
                "required": True, "problem": None} for table in ("Log", "Device", "Session")]
    report = Report("plan", "t", data={"exit_code": 0, "coverage": {
        "hot_queries": queries, "redundant_indexes": []}, "environments": {"staging": {
            "current_revision": "0002", "pending": [{"id": "0003", "file": "0003_x.py",
                                                     "sql": SQL.split("\n")[2] + "\n"}]}}})

    section = coverage_section(report)

    assert "q_Log" in section and "q_Device" not in section and "q_Session" not in section
    assert "of 3; nivomigrate coverage shows them all" in section


def test_history_labels_never_overlap_and_name_the_actor():
    import re

    from nivomigrate.render.html_charts import history_section

    runs = [{"id": n, "kind": "promote" if n % 2 else "apply", "status": "passed",
             "from_revision": None, "to_revision": "0002", "actor": "ci:ada",
             "started_at": f"2026-12-06T10:00:0{n}+00:00",
             "finished_at": f"2026-12-06T10:00:0{n}.5+00:00"} for n in range(1, 6)]
    report = Report("history", "t", data={"exit_code": 0, "environments": {"prod": runs}})

    svg = history_section(report)

    labels = re.findall(r'<text x="([\d.]+)" y="(\d+)" font-size="11" text-anchor="(\w+)" '
                        r'fill="#\w+">([^<]+)<', svg)
    assert len(labels) == 5 and all("by ci:ada" in text for *_, text in labels)
    placed = sorted((int(y), float(x) - (6.4 * len(text) if anchor == "end" else 0), len(text))
                    for x, y, anchor, text in labels)
    for (y1, x1, n1), (y2, x2, _) in zip(placed, placed[1:], strict=False):
        assert y1 != y2 or x1 + 6.4 * n1 <= x2  # on one row, each ends before the next
    assert all(x + 6.4 * n <= 1100 for _, x, n in placed)  # inside the picture
