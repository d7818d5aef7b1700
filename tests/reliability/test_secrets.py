"""The canary password (in every URL the fixtures hand out, percent-encoded) never shows: not
raw, not percent-encoded, in no stdout, stderr, JSON, Markdown, log or ledger row of any run of
the session. Every run of `cli` is collected; `test_canary_never_appears_in_any_output` runs
last (conftest moves it) and searches all of it.

A second canary holds every character that breaks a URL (`@ / # ? % +`, a space, `€`) and is
given in the URL, as a `?password=` parameter and through an env file; a staging check prints it
in other encodings. It shows nowhere either: outputs in every format, the step summary, the
ledger's rows (its `reason`). Given unencoded, it is exit 2 with the encodings to use.
"""

from __future__ import annotations

import json
import os
from urllib.parse import quote, quote_plus

import psycopg
import pytest

from nivomigrate.db import with_database
from nivomigrate.urls import with_query
from tests.conftest import CANARY_ROLE
from tests.reliability.helpers import canary_forms, one_error, state, write_revision
from tests.role_fixtures import drop_roles

WILD = "Sl4sh/Cnry#9x@Qm?Pct%Pls+Spc €Eur"
WILD_PIECES = ("Sl4sh", "Cnry", "Pct%", "Pls+", "Spc €", "€Eur")
# Prints the password of DATABASE_URL raw, decoded, +-encoded and JSON-escaped, then fails.
PRINTING_CHECK = """
  - name: prints the password
    command: >-
      python3 -c "import json, os, urllib.parse as u;
      p = u.unquote(u.urlsplit(os.environ['DATABASE_URL']).password
      or dict(u.parse_qsl(u.urlsplit(os.environ['DATABASE_URL']).query))['password']);
      print('got', p, u.quote_plus(p), u.quote(p, safe=''), json.dumps(p)); raise SystemExit(3)"
"""

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


# --- a password with every character that breaks a URL ------------------------------------------

def _wild_forms() -> set[str]:
    return {WILD, quote(WILD, safe=""), quote_plus(WILD, safe=""), quote(WILD, safe="").lower(),
            json.dumps(WILD)[1:-1], json.dumps(WILD, ensure_ascii=False)[1:-1],
            quote(WILD, safe="/:@"), *WILD_PIECES}


def _wild_leaks(*texts: str) -> list[str]:
    return [form for text in texts for form in _wild_forms() if form in text]


def _wild_url(project, env: str, placement: str) -> str:
    url = project.urls[env]
    if placement == "query":
        return with_query(url, password=WILD)
    return url.replace(url.split("://", 1)[1].split("@", 1)[0],
                       f"{CANARY_ROLE}:" + quote(WILD, safe=""), 1)


def _ledger_text(url: str) -> str:
    with psycopg.connect(url) as conn:
        if not conn.execute("select to_regclass('nivomigrate.runs')").fetchone()[0]:
            return ""
        return "\n".join(row[0] for row in conn.execute("select r::text from nivomigrate.runs r"))


@pytest.mark.parametrize("placement", ["url", "query", "env-file"])
def test_wild_password_never_shows(project, cli, tmp_path, placement):
    policy = project.root / "policies" / "promotion.yaml"
    policy.write_text(policy.read_text().replace("staging_checks:\n",
                                                 "staging_checks:" + PRINTING_CHECK, 1))
    urls = {env: _wild_url(project, env, "query" if placement == "query" else "url")
            for env in ("staging", "prod")}
    environ = {**project.environ, "STAGING_POSTGRES_URL_NON_POOLING": urls["staging"],
               "PROD_POSTGRES_URL_NON_POOLING": urls["prod"]}
    if placement == "env-file":
        env_file = project.root / ".env.staging"
        env_file.write_text(f"STAGING_POSTGRES_URL_NON_POOLING='{urls['staging']}'\n"
                            f"STAGING_DB_PASSWORD='{WILD}'\n")
        environ.pop("STAGING_POSTGRES_URL_NON_POOLING")
        config = project.root / "nivomigrate.toml"
        config.write_text(config.read_text().replace(
            'url_env = "STAGING_POSTGRES_URL_NON_POOLING"\n',
            'url_env = "STAGING_POSTGRES_URL_NON_POOLING"\nenv_file = ".env.staging"\n', 1))
    summary = tmp_path / "summary.md"
    environ["GITHUB_STEP_SUMMARY"] = str(summary)
    fmt = "json" if placement == "url" else "github"  # github also writes the step summary
    applied = cli(project, "apply", "staging", "--format", fmt, environ=environ)
    assert applied.code == 1, applied  # the printing check fails the run
    assert "prints the password" in applied.stdout and "got ***" in applied.stdout
    commands = [("history", "staging", "--format", "github"), ("doctor", "--format", "markdown")]
    if placement == "url":  # the other placements differ only in how the URL is read
        commands.append(("plan", "staging", "--format", "github"))
    outcomes = [applied] + [cli(project, *command, environ=environ) for command in commands]
    texts = [o.stdout + o.stderr for o in outcomes] + [summary.read_text(),
                                                       _ledger_text(project.urls["staging"])]
    assert "got ***" in texts[-1]  # the ledger's reason, redacted
    assert _wild_leaks(*texts) == []


def test_wild_password_unencoded_is_exit_2_naming_the_encodings(project, cli):
    raw = project.urls["staging"].replace(
        project.urls["staging"].split("://", 1)[1].split("@", 1)[0], f"{CANARY_ROLE}:{WILD}", 1)
    before = state(project)
    outcome = cli(project, "apply", "staging",
                  environ={**project.environ, "STAGING_POSTGRES_URL_NON_POOLING": raw})
    assert outcome.code == 2 and one_error(outcome), outcome
    assert "'/' as %2F, '#' as %23" in outcome.stderr and "percent-encoded" in outcome.stderr
    assert _wild_leaks(outcome.stdout + outcome.stderr) == []
    assert state(project) == before


# --- transformed: a check that prints the password upper-cased, cut or with spaces replaced ----

SPACED = "Spaced Out Canary Phrase 7"
# Prints the password of DATABASE_URL transformed as SQL or a script might, then fails.
TRANSFORMING_CHECK = """
  - name: prints the password transformed
    command: >-
      python3 -c "import os, urllib.parse as u;
      p = u.unquote(u.urlsplit(os.environ['DATABASE_URL']).password);
      print('got', p.upper(), p[:-1], p.replace(' ', '_'), p.lower()[2:]); raise SystemExit(3)"
"""


def _pieces_shown(text: str) -> list[str]:
    folded = SPACED.lower()
    shown = text.lower().replace("_", " ")
    return [folded[i:i + 6] for i in range(len(folded) - 5) if folded[i:i + 6] in shown]


def test_transformed_password_never_shows(project, cli, tmp_path, canary_admin_url):
    policy = project.root / "policies" / "promotion.yaml"
    policy.write_text(policy.read_text().replace("staging_checks:\n",
                                                 "staging_checks:" + TRANSFORMING_CHECK, 1))
    role = f"nivo_spaced_{os.getpid()}"
    with psycopg.connect(canary_admin_url, autocommit=True) as conn:
        conn.execute(f"create role {role} login superuser password '{SPACED}'")
    staging = project.urls["staging"]
    staging = staging.replace(staging.split("://", 1)[1].split("@", 1)[0],
                              f"{role}:" + quote(SPACED, safe=""), 1)
    summary = tmp_path / "summary.md"
    environ = {**project.environ, "STAGING_POSTGRES_URL_NON_POOLING": staging,
               "GITHUB_STEP_SUMMARY": str(summary)}
    try:
        applied = cli(project, "apply", "staging", "--format", "github", environ=environ)
        ledger = _ledger_text(project.urls["staging"])
    finally:
        drop_roles(canary_admin_url, [role])
    assert applied.code == 1, applied  # the printing check fails the run
    assert "prints the password transformed" in applied.stdout and "got ***" in applied.stdout
    assert "got ***" in ledger
    for text in (applied.stdout + applied.stderr, summary.read_text(), ledger):
        assert _pieces_shown(text) == [], text[-2000:]
