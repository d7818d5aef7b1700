"""Comment: post the plan on the pull request, with the findings new in it.

"New" is against the plan of the merge base, made in the same job from a git worktree of
the merge base (so against the same databases, at the same moment). A pull request from a
fork, or a job without a token, gets the comment in its step summary only.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nivomigrate.errors import ConfigError, NivoError
from nivomigrate.findings import Report
from nivomigrate.progress import Progress

if TYPE_CHECKING:
    from nivomigrate.config import GitHubContext, Settings


@dataclass(frozen=True)
class CommentOutcome:
    """Where the comment went: `created`, `updated` or `summary` (forks), and its URL."""

    action: str
    url: str | None
    new_findings: int


def comment_on_pull_request(settings: Settings, report: Report, context: GitHubContext, *,
                            report_url: str | None = None,
                            progress: Progress | None = None) -> CommentOutcome:
    """Post (or update) the pull request's comment for the plan `report`.

    Raises:
        ConfigError: `report` is not a plan, or the job is not a pull request's.
        GitHubApiError: GitHub's API is unreachable or refused a call.
    """
    from nivomigrate.github_comment import GitHubClient, truncate, upsert_comment
    from nivomigrate.render.comment import new_findings, render_comment

    if report.command != "plan":
        raise ConfigError(f"the report is from `{report.command}`, not `plan`",
                          hint="pass the JSON of `nivomigrate plan all --gate merge`")
    if context.pull_request is None:
        raise ConfigError("this job is not a pull request's (no pull_request in the event)",
                          hint="run `nivomigrate comment` in a pull_request workflow")
    progress = progress or Progress()
    with progress.step("planning the merge base, to tell which findings are new"):
        base, note = _base_plan(settings, context.base_sha, report.data.get("gate", "merge"))
    new = new_findings(report, base)
    body = truncate(render_comment(report, new, report_url=report_url, run_url=context.run_url,
                                   base_note=note), report_url or context.run_url)
    if context.is_fork or not context.token or not context.repository:
        if context.step_summary:
            with context.step_summary.open("a") as summary:
                summary.write(body)
        return CommentOutcome("summary", None, len(new))
    client = GitHubClient(context.api_url, context.repository, context.token)
    result = upsert_comment(client, context.pull_request, body)
    return CommentOutcome(result.action, result.url, len(new))


def _base_plan(settings: Settings, base_sha: str | None,
               gate: str) -> tuple[Report | None, str | None]:
    """Plan the merge base of HEAD and `base_sha`; (None, why) when that cannot be done."""
    if not base_sha:
        return None, "no base commit in the event: every finding is listed"
    try:
        with merge_base_worktree(settings.root, base_sha) as base_root:
            return _plan_in(base_root, gate), None
    except NivoError as exc:
        return None, f"the merge base could not be planned ({exc.message}): every finding " \
                     "is listed"


def _plan_in(project: Path, gate: str) -> Report:
    from nivomigrate.config import load_settings
    from nivomigrate.steps.plan import make_plan

    return make_plan(load_settings(cwd=project), "all", gate=gate,
                     progress=Progress(quiet=True))


@contextmanager
def merge_base_worktree(project_root: Path, base_sha: str) -> Iterator[Path]:
    """Check out the merge base of HEAD and `base_sha` in a temporary git worktree; yield the
    project folder in it (where `project_root` is in the repository), removed afterwards.

    Raises:
        ConfigError: no merge base (a shallow checkout: use fetch-depth: 0).
    """
    import git

    try:
        repo = git.Repo(project_root, search_parent_directories=True)
        bases = repo.merge_base("HEAD", base_sha)
    except (git.GitError, ValueError) as exc:
        raise ConfigError(f"no merge base with {base_sha[:12]}: {exc}".splitlines()[0],
                          hint="check out with fetch-depth: 0") from None
    if not bases:
        raise ConfigError(f"no merge base with {base_sha[:12]}",
                          hint="check out with fetch-depth: 0")
    relative = project_root.resolve().relative_to(Path(repo.working_dir).resolve())
    with tempfile.TemporaryDirectory(prefix="nivomigrate-base-") as folder:
        tree = Path(folder) / "tree"
        repo.git.worktree("add", "--detach", str(tree), bases[0].hexsha)
        try:
            yield tree / relative
        finally:
            repo.git.worktree("remove", "--force", str(tree))
