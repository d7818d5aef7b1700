"""Two promotions started at once: exactly one applies, the other exits 6 naming the holder,
and no revision runs twice (the ledger, alembic_version and a marker row the revision inserts)."""

from __future__ import annotations

import re

import psycopg

from tests.reliability.helpers import (
    PAUSE_IMPORTS,
    PAUSE_IN_SQL,
    current_revision,
    fingerprint,
    ledger_rows,
    one_error,
    paused,
    write_revision,
)

# The revision leaves a row for each time it ran.
MARKER = """
op.execute('CREATE TABLE "ReliabilityMarker" ("revision" TEXT NOT NULL)')
op.execute("INSERT INTO \\"ReliabilityMarker\\" VALUES ('" + revision + "')")
"""


def test_two_promotions_at_once_apply_each_revision_once(project, cli):
    revision = write_revision(project, MARKER + PAUSE_IN_SQL, name="marker",
                              imports=PAUSE_IMPORTS)
    assert cli(project, "apply", "staging").code == 0
    # The pause keeps the winner's lock held while the other one starts.
    runs = [cli.start(project, "promote", "prod", environ=paused(project, 6)) for _ in range(2)]
    outcomes = sorted((cli.finish(run) for run in runs), key=lambda outcome: outcome.code)
    assert [outcome.code for outcome in outcomes] == [0, 6], outcomes
    loser = outcomes[1]
    assert one_error(loser)
    assert re.search(r"another nivomigrate run holds the lock of prod: pid \d+ \(nivomigrate",
                     loser.stderr), loser
    promotions = [row for row in ledger_rows(project.urls["prod"]) if row[1] == "promote"]
    assert [(row[2], row[4]) for row in promotions] == [("passed", revision)]
    assert current_revision(project.urls["prod"]) == revision
    # A third run has nothing left to apply.
    assert cli(project, "promote", "prod").code == 0
    with psycopg.connect(project.urls["prod"]) as conn:
        marks = conn.execute('SELECT count(*) FROM "ReliabilityMarker"').fetchone()[0]
        applied = conn.execute(
            "select count(*) from nivomigrate.runs, jsonb_array_elements(revisions) r "
            "where status = 'passed' and r->>'id' = %s", (revision,)).fetchone()[0]
    assert marks == 1
    assert applied == 1
    assert fingerprint(project.urls["prod"]) == fingerprint(project.urls["staging"])
