"""Round trips of the diff on real databases, one schema pair per case file.

Each `roundtrip/<kind>__<case>.sql` holds a source schema and a target schema (after the lines
`-- source` and `-- target`). Both are built in fresh databases; the diff's SQL in each
direction is applied to its side (one script, as `psql -1` would) and then `pg_dump -s` of each
side must equal the other's from before. A case whose file says `-- expect: not scripted`
names a difference the diff does not script: its SQL must say so in a `-- not scripted:` line
(which makes `nivomigrate diff` exit 1), and the rest must still apply.

Cases are written for this suite, after the kinds of cases of migra's own fixtures and other
schema-diff tools' suites, with hostile names and labels (quotes, semicolons, capitals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from nivomigrate import shadow
from nivomigrate.db import Target
from nivomigrate.engine.diff import diff_sql
from tests.engine.test_diff import _schema_dumps
from tests.role_fixtures import drop_roles

CASES = Path(__file__).parent / "roundtrip"
CASE_NAMES = sorted(path.stem for path in CASES.glob("*.sql"))
# Roles the cases grant to and name in policies (cluster objects: made once, dropped at the end).
ROLES = ("nivo_rt_reader", 'nivo_rt_evil"role', "nivo_rt_O'Brien")
# Cases the diff does not round-trip yet, with the reason (strict: one that passes must leave).
KNOWN_FAILING: dict[str, str] = {}


def _sides(case: str) -> tuple[str, str, bool]:
    """Return the case's source SQL, target SQL and whether it expects a not-scripted line."""
    text = (CASES / f"{case}.sql").read_text()
    head, _, rest = text.partition("\n-- source\n")
    source, _, target = rest.partition("\n-- target\n")
    assert target, f"{case}.sql needs a `-- source` and a `-- target` line"
    return source, target, "-- expect: not scripted" in head


def _run(url: str, script: str) -> None:
    if script.strip():
        with psycopg.connect(url) as conn:  # one transaction, as `psql -1 -f diff.sql`
            conn.execute(script)


def _build(admin_url: str, case: str) -> tuple[list[str], tuple[Target, Target] | Exception]:
    names = [shadow.scratch_name("nivo_rt") for _ in range(2)]
    source_sql, target_sql, _ = _sides(case)
    try:
        urls = [shadow.create_database(admin_url, name) for name in names]
        _run(urls[0], source_sql)
        _run(urls[1], target_sql)
    except Exception as exc:  # reported by the case's own test
        return names, exc
    return names, (Target("source", urls[0]), Target("target", urls[1]))


@pytest.fixture(scope="module")
def roles(canary_admin_url) -> Iterator[None]:
    created = []
    with psycopg.connect(canary_admin_url, autocommit=True) as conn:
        for role in ROLES:
            if not conn.execute("select 1 from pg_roles where rolname = %s", (role,)).fetchone():
                conn.execute(psycopg.sql.SQL("create role {} nologin").format(
                    psycopg.sql.Identifier(role)))
                created.append(role)
    yield
    drop_roles(canary_admin_url, created)


@pytest.fixture(scope="module")
def built(canary_admin_url, dropper, roles) -> Iterator[tuple[dict, Callable[[str], None]]]:
    """Every case's two databases, built at once in a few threads."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {case: pool.submit(_build, canary_admin_url, case) for case in CASE_NAMES}
        results = {case: future.result() for case, future in futures.items()}
    left = {case: names for case, (names, _) in results.items()}

    def done(case: str) -> None:
        for name in left.pop(case, ()):
            dropper.drop(canary_admin_url, name)

    yield {case: sides for case, (_, sides) in results.items()}, done
    for case in list(left):
        done(case)


@pytest.mark.parametrize("case", [
    pytest.param(case, marks=pytest.mark.xfail(reason=KNOWN_FAILING[case], strict=True))
    if case in KNOWN_FAILING else case for case in CASE_NAMES])
def test_diff_round_trips(built, case: str, request) -> None:
    cases, done = built
    request.addfinalizer(lambda: done(case))
    if isinstance(cases[case], Exception):
        raise cases[case]
    source, target = cases[case]
    *_, not_scripted = _sides(case)

    forward, backward = diff_sql(source, target), diff_sql(target, source)
    assert forward.strip() and backward.strip(), "the sides differ: the diff must say so"
    source_before, target_before = _schema_dumps(source.url, target.url)
    _run(source.url, forward)
    _run(target.url, backward)
    source_after, target_after = _schema_dumps(source.url, target.url)

    if not_scripted:
        assert "-- not scripted:" in forward + backward, forward + backward
        return
    assert "-- not scripted:" not in forward, forward
    assert "-- not scripted:" not in backward, backward
    assert source_after == target_before, forward
    assert target_after == source_before, backward
