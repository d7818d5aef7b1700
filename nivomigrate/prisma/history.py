"""Earlier versions of schema.prisma from git: the datamodel Prisma diffs a change from.

`revision --from-prisma` needs schema.prisma as it was at head. When the change adds what
`prisma write` cannot render (a model, a field, a relation), the committed file is that
datamodel: the workflow commits schema.prisma with each revision (the merge gate checks it).
"""

from __future__ import annotations

from pathlib import Path

VERSIONS_READ = 5


def committed_texts(path: Path, limit: int = VERSIONS_READ) -> list[str]:
    """Return the texts of `path` in its last `limit` commits, newest first (no git: [])."""
    try:
        import git

        repo = git.Repo(path.parent, search_parent_directories=True)
        relative = path.resolve().relative_to(Path(repo.working_tree_dir).resolve())
        commits = list(repo.iter_commits(paths=str(relative), max_count=limit))
        return [(commit.tree / relative.as_posix()).data_stream.read().decode()
                for commit in commits]
    except Exception:  # no repository, no commit, the file not tracked: no history to read
        return []
