"""The canary password (in every URL the fixtures hand out, percent-encoded) never shows: not
raw, not percent-encoded, in no stdout, stderr, JSON, Markdown, log or ledger row of any run of
the session. Every run of `cli` is collected; `test_canary_never_appears_in_any_output` runs
last (conftest moves it) and searches all of it."""

from __future__ import annotations

from nivomigrate.db import with_database
from tests.reliability.helpers import canary_forms, write_revision

FORMATS = ("json", "markdown")


def _leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [form for form in canary_forms() if form.lower() in lowered]


def test_reports_in_every_format_hide_the_password(project, cli, collector):
    write_revision(project, 'op.execute(\'ALTER TABLE "Device" ADD COLUMN "secret" TEXT\')',
                   name="secret")
    outputs = [cli(project, "apply", "staging", "--format", "json"),
               cli(project, "promote", "prod", "--format", "markdown")]
    for fmt in FORMATS:
        for command in (("status",), ("history",), ("plan",), ("doctor",),
                        ("promote", "prod", "--dry-run"), ("coverage", "staging")):
            outputs.append(cli(project, *command, "--format", fmt))
    outputs.append(cli(project, "history", "--format", "github"))
    direct = with_database(project.urls["staging"], "nivo_rel_no_such_database")
    outputs.append(cli(project, "diff", direct, "prod"))
    outputs.append(cli(project, "coverage", project.urls["prod"], "--format", "json"))
    assert {outcome.code for outcome in outputs} <= {0, 1, 4}, outputs
    assert any('"schema_version"' in outcome.stdout for outcome in outputs)
    for outcome in outputs:
        assert not _leaks(outcome.text), outcome


def test_canary_never_appears_in_any_output(collector, own_server):
    log = own_server.data_dir.parent / "server.log"
    if log.is_file():
        collector.add("server log of the private primary", log.read_text(errors="replace"))
    labels = " ".join(label for label, _ in collector.texts)
    assert "stdout of" in labels and "stderr of" in labels and "ledger of" in labels
    leaks = [(label, _leaks(text)) for label, text in collector.texts if _leaks(text)]
    assert leaks == []
    searched = sum(len(text) for _, text in collector.texts)
    print(f"searched {len(collector.texts)} outputs, {searched} characters: no canary")
