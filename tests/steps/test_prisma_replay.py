"""NivoStack's real schema commits after the baseline, replayed on the schema.prisma the project
writes at head: each an edit of schema.prisma only, one command (`revision --from-prisma`,
which writes the revision and the models), one commit, then the merge gate, apply staging and
promote prod pass with no hand edit, and diff, check and prisma check agree.

The edits are those of iplixera/nivostack-monorepo's prisma/schema.prisma at 9a28dbe (two
composite indexes; its third is already at head), 6e72776 (three indexes, the
ProjectMember.inviter relation dropped, the Inviter relation name dropped) and c4bafe6 (three
nullable ApiTrace fields and @@index([userId])), written here as small text edits.
"""

from __future__ import annotations

import pytest

from tests.steps.conftest import Project
from tests.steps.prisma_flow import git, module_databases, ok, prisma_project, promote_all

__all__ = ["module_databases"]  # the fixture this module's project uses


@pytest.fixture(scope="module")
def nivostack(tmp_path_factory, module_databases, canary_admin_url) -> Project:
    urls = {env: module_databases(f"nivo_replay_{env}") for env in ("staging", "prod")}
    return prisma_project(tmp_path_factory.mktemp("replay"), urls, canary_admin_url)

def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def add_block_attribute(text: str, model: str, after: str, attribute: str) -> str:
    """Add `attribute` after line `after` inside `model`."""
    start = text.index(f"model {model} {{")
    end = text.index("\n}", start) + 1
    block = text[start:end]
    return text[:start] + edit(block, f"  {after}\n", f"  {after}\n  {attribute}\n") + text[end:]


def commit_9a28dbe(text: str) -> str:
    text = add_block_attribute(text, "BusinessConfig", "@@index([projectId, isEnabled]) "
                               "// Composite index for SDK init query",
                               "@@index([projectId, category]) // For category filtering")
    text = add_block_attribute(text, "Language", "@@index([isDefault])",
                               "@@index([projectId, isDefault, isEnabled]) // Composite index "
                               "for SDK init query")
    # Its third, Translation's @@index([projectId, languageId]), is already at head (0002).
    return text


def commit_6e72776(text: str) -> str:
    text = edit(text, '  invitedMembers ProjectMember[] @relation("Inviter") // Members invited '
                'by this user\n', "")
    text = edit(text, '  sentInvitations ProjectInvitation[] @relation("Inviter") // Invitations '
                "sent by this user\n", "  invitations ProjectInvitation[] // Invitations sent "
                "by this user\n")
    text = edit(text, '  inviter   User?   @relation("Inviter", fields: [invitedBy], references: '
                "[id], onDelete: SetNull)\n", "")
    text = edit(text, '@relation("Inviter", fields: [invitedBy], references: [id], onDelete: '
                "Cascade)", "@relation(fields: [invitedBy], references: [id], onDelete: Cascade)")
    text = add_block_attribute(text, "ProjectMember", "@@index([role])",
                               "@@index([projectId, role])")
    text = add_block_attribute(text, "ProjectInvitation", "@@index([emailSent])",
                               "@@index([projectId, status])")
    return add_block_attribute(text, "UserNotification", "@@index([createdAt])",
                               "@@index([userId, createdAt])")


def commit_c4bafe6(text: str) -> str:
    text = edit(text, "  // Cost tracking (calculated from ApiConfig)\n",
                "  // User tracking fields (enriched from SDK setUser)\n"
                "  userId          String? // App's user ID who made this request\n"
                "  userEmail       String? // User email for filtering\n"
                "  userName        String? // User display name\n"
                "  // Cost tracking (calculated from ApiConfig)\n")
    return add_block_attribute(text, "ApiTrace", "@@index([screenName])", "@@index([userId])")


REPLAYED = [("9a28dbe", commit_9a28dbe, ["BusinessConfig_projectId_category_idx"]),
            ("6e72776", commit_6e72776, ["ProjectMember_projectId_role_idx"]),
            ("c4bafe6", commit_c4bafe6, ["ApiTrace_userId_idx"])]


@pytest.mark.parametrize(("commit", "change", "indexes"), REPLAYED,
                         ids=[commit for commit, _, _ in REPLAYED])
def test_nivostack_commit_reaches_prod_with_one_command(nivostack, commit, change, indexes):
    schema = nivostack.root / "schema.prisma"
    schema.write_text(change(schema.read_text()))
    out = ok(nivostack, "revision", "--from-prisma", "-m", f"NivoStack {commit}")
    assert "wrote " in out
    changed = git(nivostack, "status", "--porcelain").split("\n")
    assert any("nivostack_models/" in line for line in changed), changed  # the models followed
    git(nivostack, "add", "-A")
    git(nivostack, "commit", "-qm", f"replay {commit}")
    promote_all(nivostack)
    assert git(nivostack, "status", "--porcelain") == ""  # no hand edit, nothing left over
    import psycopg

    with psycopg.connect(nivostack.urls["prod"]) as conn:
        found = {row[0] for row in conn.execute("select indexname from pg_indexes")}
    assert set(indexes) <= found


def test_replayed_relation_drop_left_the_column_and_dropped_the_foreign_key(nivostack):
    import psycopg

    with psycopg.connect(nivostack.urls["prod"]) as conn:
        keys = {row[0] for row in conn.execute(
            "select conname from pg_constraint where conrelid = '\"ProjectMember\"'::regclass")}
        columns = {row[0] for row in conn.execute(
            "select column_name from information_schema.columns "
            "where table_name = 'ApiTrace'")}
    assert "ProjectMember_invitedBy_fkey" not in keys
    assert {"userId", "userEmail", "userName"} <= columns
    models = (nivostack.root / "nivostack_models" / "studio.py").read_text()
    assert 'invitedBy: Mapped[str | None]\n' in models
