"""The way-back certificate that `apply staging` makes, on real databases through the CLI:
a reversible revision is proven on staging's rows, a downgrade that drops a column the
revision filled is lossy and says what it loses, and the certificate is in the ledger and in
the JSON, Markdown and HTML reports."""

from __future__ import annotations

import json
import os
import subprocess

import psycopg

from tests import forked_cli
from tests.report_schema import schema_errors

REVISION = '''"""{doc}"""
from alembic import op

revision = "{id}"
down_revision = "{down}"
branch_labels = None
depends_on = None
{module}

def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def write_revision(project, name: str, upgrade: list[str], downgrade: list[str] | None,
                   module: str = "") -> str:
    """Write the next revision: each statement an op.execute; no downgrade: `pass`."""
    head = project.head()
    revision_id = f"{int(head) + 1:04d}"
    (project.root / "versions" / f"{revision_id}_{name}.py").write_text(REVISION.format(
        doc=name, id=revision_id, down=head, module=module, upgrade=_body(upgrade),
        downgrade=_body(downgrade or [])))
    return revision_id


def _body(lines: list[str]) -> str:
    return "\n".join(f"    op.execute({line!r})" for line in lines) or "    pass"


def cli(project, *args: str) -> subprocess.CompletedProcess:
    return forked_cli.run(*args, cwd=project.root, env={**os.environ, **project.environ},
                          timeout=600)


def seed_users(url: str, count: int = 3) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for number in range(count):
            conn.execute('insert into "User" (id, email, password, "updatedAt") values '
                         "(%s, %s, 'x', now())", (f"u{number}", f"u{number}@example.invalid"))


ADD_NICKNAME = ['ALTER TABLE "User" ADD COLUMN "nickname" TEXT']
DROP_NICKNAME = ['ALTER TABLE "User" DROP COLUMN "nickname"']


def test_reversible_revision_is_certified_proven_on_stagings_rows(project):
    seed_users(project.urls["staging"])
    revision = write_revision(project, "nickname", ADD_NICKNAME, DROP_NICKNAME)

    result = cli(project, "apply", "staging", "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert schema_errors(report) == []
    (certificate,) = report["data"]["way_back"]
    assert certificate["revision"] == revision
    assert certificate["verdict"] == "proven"
    assert certificate["method"] == "staging, in a rolled-back transaction"
    assert certificate["tables_compared"] >= 39 and certificate["losses"] == []
    with psycopg.connect(project.urls["staging"]) as conn:
        assert conn.execute("select version_num from alembic_version").fetchone()[0] == revision
        assert conn.execute('select count("nickname") from "User"').fetchone()[0] == 0
        row = conn.execute("select verdict from nivomigrate.certificates where revision = %s",
                           (revision,)).fetchone()
    assert row == ("proven",)


def test_downgrade_dropping_a_filled_column_is_lossy_and_names_it(project):
    seed_users(project.urls["staging"], 3)
    write_revision(project, "nickname_filled",
                   ADD_NICKNAME + ['UPDATE "User" SET "nickname" = "email"'], DROP_NICKNAME)

    result = cli(project, "apply", "staging", "--format", "json")

    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    (certificate,) = report["data"]["way_back"]
    assert certificate["verdict"] == "lossy"
    assert certificate["losses"] == ['column public.User.nickname (3 values)']
    assert certificate["lossy_tables"] == ["public.User"]
    warnings = [f for f in report["findings"] if f["check"] == "one-way"]
    assert warnings and warnings[0]["severity"] == "warning"
    assert "public.User.nickname (3 values)" in warnings[0]["message"]
    with psycopg.connect(project.urls["staging"]) as conn:  # staging keeps its values
        assert conn.execute('select count("nickname") from "User"').fetchone()[0] == 3

    (project.root / "apply.json").write_text(result.stdout)
    for fmt, shown in (("markdown", "| lossy | staging, in a rolled-back transaction | "
                                    "column public.User.nickname (3 values) |"),
                       ("html", "<td>lossy</td><td>staging, in a rolled-back transaction</td>"
                                "<td>column public.User.nickname (3 values)</td>")):
        rendered = cli(project, "render", "apply.json", "--format", fmt)
        assert "Way back: the downgrade&#x27;s certificate" in rendered.stdout or \
            "Way back: the downgrade's certificate" in rendered.stdout
        assert shown in rendered.stdout, rendered.stdout


DROP_NAME = ['ALTER TABLE "User" DROP COLUMN "name"']


def _one_way_findings(report: dict) -> list[dict]:
    return [f for f in report["findings"] if f["check"] == "one-way"]


def test_merge_gate_refuses_a_revision_without_a_way_back(project):
    revision = write_revision(project, "drop_name", DROP_NAME, None)

    result = cli(project, "plan", "all", "--gate", "merge", "--format", "json")

    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    (finding,) = _one_way_findings(report)
    assert finding["severity"] == "error"
    assert finding["location"]["object"] == revision
    assert "does not restore the previous schema" in finding["message"]
    assert "column public.User.name" in finding["message"]
    assert 'one_way = "<why>"' in finding["help"]


def test_merge_gate_accepts_a_declared_one_way_revision_and_the_projects_own(project):
    write_revision(project, "drop_name", DROP_NAME, None,
                   module='one_way = "the names are gone: restore them from the backup"\n')

    result = cli(project, "plan", "all", "--gate", "merge", "--format", "json")

    report = json.loads(result.stdout)
    findings = _one_way_findings(report)
    assert [f["severity"] for f in findings] == ["info"], findings
    assert "the names are gone" in findings[0]["message"]


def test_merge_gate_proves_a_revision_once_per_content_and_again_when_it_changes(
        project, tmp_path):
    """A proven downgrade is kept in the cache folder under its revisions' checksums: the
    next gate on the same files proves nothing again, an edited revision is proven anew, and
    a failed proof is never kept."""
    environ = {**os.environ, **project.environ, "NIVOMIGRATE_CACHE_DIR": str(tmp_path)}

    def gate() -> tuple[list[dict], list]:
        result = forked_cli.run("plan", "all", "--gate", "merge", "--format", "json",
                                cwd=project.root, env=environ, timeout=600)
        kept = sorted((tmp_path / "proofs").glob("*.json"))
        return _one_way_findings(json.loads(result.stdout)), kept

    revision = write_revision(project, "nickname", ADD_NICKNAME, DROP_NICKNAME)
    chain = len(list((project.root / "versions").glob("*.py")))

    findings, kept = gate()
    assert not [f for f in findings if f["severity"] == "error"], findings
    assert len(kept) == chain  # one per revision, each proven
    stamps = [path.stat().st_mtime_ns for path in kept]

    findings, again = gate()
    assert not [f for f in findings if f["severity"] == "error"], findings
    assert again == kept and [path.stat().st_mtime_ns for path in again] == stamps

    path = next((project.root / "versions").glob(f"{revision}_*.py"))
    path.write_text(path.read_text().replace(
        "op.execute('ALTER TABLE \"User\" DROP COLUMN \"nickname\"')", "pass"))
    findings, after_edit = gate()
    (error,) = [f for f in findings if f["severity"] == "error"]
    assert error["location"]["object"] == revision
    assert "does not restore the previous schema" in error["message"]
    assert after_edit == kept  # the failure is not kept; the unchanged parents' proofs are
