"""The pull request's one nivomigrate comment: found by a hidden marker, created once, then
updated in place on every push.

Written by hand over urllib: it is four REST calls (list, create, update, delete), the workflow
must run no third-party action, and a GitHub SDK (PyGithub, ghapi) would be one more dependency
of every install for them. The calls and their pagination are GitHub's documented REST API:
https://docs.github.com/en/rest/issues/comments.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from nivomigrate.errors import NivoError

MARKER = "<!-- nivomigrate:pull-request-comment -->"
MAX_CHARS = 65_536  # GitHub refuses a comment body longer than this
PER_PAGE = 100
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubApiError(NivoError):
    """GitHub's API could not be reached or refused a call (exit 4, like a database)."""

    exit_code = 4


@dataclass(frozen=True)
class CommentResult:
    """What happened to the comment: `created` or `updated`, and where it is."""

    action: str
    comment_id: int
    url: str


@dataclass(frozen=True)
class GitHubClient:
    """A minimal GitHub REST client: JSON in and out, the token in a header, never printed."""

    api_url: str
    repository: str
    token: str = field(repr=False)
    timeout_s: float = 30.0

    def request(self, method: str, url: str, body: dict | None = None) -> tuple[object, dict]:
        """Call `url` (absolute, or a path under the API) and return (JSON, headers).

        Raises:
            GitHubApiError: the API is unreachable or answers with an error status.
        """
        if not url.startswith(("http://", "https://")):
            url = f"{self.api_url}{url}"
        request = urllib.request.Request(
            url, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Accept": "application/vnd.github+json",
                     "Authorization": f"Bearer {self.token}",
                     "X-GitHub-Api-Version": "2022-11-28",
                     "Content-Type": "application/json", "User-Agent": "nivomigrate"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                text = response.read().decode()
                return (json.loads(text) if text else None), dict(response.headers)
        except urllib.error.HTTPError as exc:
            raise GitHubApiError(f"GitHub answered {method} {_path(url)} with {exc.code}",
                                 hint=_hint(exc.code)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise GitHubApiError(f"could not reach GitHub's API at {self.api_url}: {exc}",
                                 hint="check GITHUB_API_URL and the runner's network") from None

    def issue_comments(self, number: int) -> list[dict]:
        """Return every comment of issue (pull request) `number`, following the pages."""
        url: str | None = (f"/repos/{self.repository}/issues/{number}/comments"
                           f"?per_page={PER_PAGE}")
        comments: list[dict] = []
        while url:
            page, headers = self.request("GET", url)
            comments += page or []
            found = _NEXT.search(headers.get("Link") or headers.get("link") or "")
            url = found[1] if found else None
        return comments


def upsert_comment(client: GitHubClient, number: int, body: str) -> CommentResult:
    """Update pull request `number`'s nivomigrate comment with `body`, or create it.

    Two runs that overlap may both create one; then both keep the oldest, update it, and
    delete the others, so that one comment remains.
    """
    body = body if body.startswith(MARKER) else f"{MARKER}\n{body}"
    ours = _marked(client.issue_comments(number))
    if ours:
        return _update(client, ours, body)
    created, _ = client.request("POST", f"/repos/{client.repository}/issues/{number}/comments",
                                {"body": body})
    ours = _marked(client.issue_comments(number))
    if len(ours) > 1 or (ours and ours[0]["id"] != created["id"]):
        return _update(client, ours, body)
    return CommentResult("created", created["id"], created.get("html_url", ""))


def _update(client: GitHubClient, ours: list[dict], body: str) -> CommentResult:
    """Keep the oldest marked comment, write `body` into it, delete the others."""
    keep, *extra = sorted(ours, key=lambda comment: comment["id"])
    updated, _ = client.request("PATCH", f"/repos/{client.repository}/issues/comments/"
                                         f"{keep['id']}", {"body": body})
    for comment in extra:
        try:
            client.request("DELETE", f"/repos/{client.repository}/issues/comments/"
                                      f"{comment['id']}")
        except GitHubApiError:
            pass  # the other run deleted it first
    return CommentResult("updated", keep["id"], updated.get("html_url", ""))


def _marked(comments: list[dict]) -> list[dict]:
    return [c for c in comments if (c.get("body") or "").startswith(MARKER)]


def truncate(body: str, report_url: str | None, limit: int = MAX_CHARS) -> str:
    """Return `body` cut to `limit` characters, ending with a link to the full report."""
    if len(body) <= limit:
        return body
    where = f"the full report: {report_url}" if report_url else "the full report is in the run"
    tail = f"\n\n… cut here: GitHub takes {limit:,} characters at most; {where}\n"
    kept = body[: limit - len(tail) - 5]
    kept = kept[: kept.rfind("\n")] if "\n" in kept else kept
    if kept.count("```") % 2:
        kept += "\n```"
    return kept + tail


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url).split("?")[0]


def _hint(status: int) -> str:
    if status in (401, 403):
        return ("give the job `permissions: pull-requests: write` and pass GITHUB_TOKEN "
                "(a pull request from a fork gets a read-only token: its report is in the "
                "step summary)")
    if status == 404:
        return "check GITHUB_REPOSITORY and the pull request number"
    return "retry; GitHub's status page may say more"
