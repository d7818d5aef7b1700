"""The pull request comment against a local server that records GitHub's REST calls:
one comment, updated in place, found on any page, cut to GitHub's limit, one also when two
runs overlap; forks get the step summary only."""

from __future__ import annotations

import threading

import pytest

from nivomigrate.config import GitHubContext, load_settings
from nivomigrate.findings import Finding, Location, Report, Section, Severity
from nivomigrate.github_comment import (
    MARKER,
    MAX_CHARS,
    GitHubApiError,
    GitHubClient,
    truncate,
    upsert_comment,
)
from nivomigrate.render.comment import new_findings, render_comment
from tests.github.recording_api import RecordingGitHub

PR = 7
LINT = Finding("require-concurrent-index-creation", Severity.ERROR,
               'CREATE INDEX blocks writes to "Log" while it builds',
               Location("versions/0003_tag.py", 17, "Log"), help="use CREATE INDEX CONCURRENTLY",
               environment="prod")
COVERAGE = Finding("hot-query-index", Severity.WARNING, "no index serves hot query 'logs'",
                   Location(object="Log (logs)"), help="add an index", environment="head")


def _plan(*findings: Finding) -> Report:
    return Report("plan", "nivomigrate plan (merge gate): head 0003", findings=findings,
                  sections=(Section("prod → staging difference", text="-- equal",
                                    language="sql"),),
                  data={"gate": "merge", "environments": {"prod": {
                      "current_revision": "0002",
                      "pending": [{"id": "0003", "file": "0003_tag.py"}]}}})


@pytest.fixture
def api():
    with RecordingGitHub() as server:
        yield server


def _client(api: RecordingGitHub) -> GitHubClient:
    return GitHubClient(api.url, "nivo/stack", "ghs_secret_token")


def _ours(api: RecordingGitHub) -> list[dict]:
    return [c for c in api.comments(PR) if c["body"].startswith(MARKER)]


def test_one_comment_is_created_then_updated_with_the_new_findings_only(api):
    base = _plan(COVERAGE)  # the base branch already has the coverage warning
    first = upsert_comment(_client(api), PR, render_comment(_plan(COVERAGE), new_findings(
        _plan(COVERAGE), base)))
    assert first.action == "created" and len(_ours(api)) == 1
    assert "Findings new in this pull request: 0" in _ours(api)[0]["body"]

    pushed = _plan(COVERAGE, LINT)  # the second push adds a blocking lint error
    second = upsert_comment(_client(api), PR, render_comment(pushed, new_findings(pushed, base)))
    assert second.action == "updated" and second.comment_id == first.comment_id
    (comment,) = _ours(api)
    body = comment["body"]
    assert "Findings new in this pull request: 1" in body
    assert "require-concurrent-index-creation" in body and "no index serves" not in body
    assert '# nivomigrate: waive require-concurrent-index-creation "Log"' in body
    assert [c.method for c in api.calls() if c.method != "GET"] == ["POST", "PATCH"]
    assert all(c.authorization == "Bearer ghs_secret_token" for c in api.calls())


def test_the_comment_is_found_on_a_later_page(api):
    api.add_comments(PR, 150)
    upsert_comment(_client(api), PR, "first")
    api.add_comments(PR, 80)
    result = upsert_comment(_client(api), PR, "second")
    assert result.action == "updated"
    assert len(_ours(api)) == 1 and _ours(api)[0]["body"] == f"{MARKER}\nsecond"
    assert len(api.comments(PR)) == 231
    assert {c.query.get("page") for c in api.calls("GET")} >= {None, "2", "3"}


def test_a_body_over_the_limit_is_cut_with_a_link_to_the_report(api):
    url = "https://github.invalid/nivo/stack/actions/runs/1/artifacts/2"
    sql = "\n".join(f'CREATE INDEX "i{n}" ON "Log" ("c{n}");' for n in range(4000))
    report = Report("plan", "plan", sections=(Section("prod → staging difference", text=sql,
                                                      language="sql"),), data={})
    body = render_comment(report, [], report_url=url)
    assert len(body) > MAX_CHARS
    upsert_comment(_client(api), PR, truncate(body, url))
    (comment,) = _ours(api)
    assert len(comment["body"]) <= MAX_CHARS
    assert comment["body"].rstrip().endswith(url)
    assert comment["body"].count("```") % 2 == 0  # the cut SQL block is closed


def test_two_overlapping_runs_leave_one_comment(api):
    api.overlap_next_lists(2)  # both runs list before either creates
    results, errors = [], []

    def run(text: str) -> None:
        try:
            results.append(upsert_comment(_client(api), PR, text))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("run A", "run B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert len(api.calls("POST")) == 2  # they did overlap: both created one
    (comment,) = _ours(api)
    assert {r.comment_id for r in results} == {comment["id"]}
    assert comment["body"] in (f"{MARKER}\nrun A", f"{MARKER}\nrun B")


def test_a_refusal_is_one_error_without_the_token(api):
    client = GitHubClient(api.url, "nivo/stack", "ghs_secret_token")
    with pytest.raises(GitHubApiError) as caught:
        client.request("GET", "/repos/nivo/stack/pulls")
    assert caught.value.exit_code == 4 and "404" in caught.value.message
    assert "ghs_secret_token" not in repr(client) + caught.value.message


def test_a_fork_gets_the_step_summary_only(tmp_path, api):
    from nivomigrate.steps.comment import comment_on_pull_request

    (tmp_path / "nivomigrate.toml").write_text("")
    summary = tmp_path / "summary.md"
    context = GitHubContext(api.url, "nivo/stack", "ghs_read_only", PR, None, is_fork=True,
                            step_summary=summary)
    outcome = comment_on_pull_request(load_settings(cwd=tmp_path), _plan(LINT), context)
    assert outcome.action == "summary" and api.calls() == []
    assert summary.read_text().startswith(MARKER)
    assert "require-concurrent-index-creation" in summary.read_text()
