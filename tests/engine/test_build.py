"""Shadow builds shared by processes: a template another process holds is never pruned, one
dropped by hand is built again, and a template's name follows its revisions' content."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg

from nivomigrate import migrations, shadow
from nivomigrate.config import load_settings
from nivomigrate.engine import build
from nivomigrate.engine.build import ensure_template, prune_templates, schema_at, snapshot_at
from tests.steps.conftest import copy_project

# Holds the template named on the command line (as a command using it does), until killed.
HOLDER = """
import sys, time
from nivomigrate import shadow
shadow.hold_template(sys.argv[1], sys.argv[2])
print("held", flush=True)
time.sleep(600)
"""


def _settings(tmp_path: Path, admin_url: str):
    root = copy_project(tmp_path)
    return load_settings(project_root=root, environ={"NIVOMIGRATE_SHADOW_URL": admin_url,
                                                     "NIVOMIGRATE_CACHE_DIR": str(tmp_path)})


def _exists(admin_url: str, name: str) -> bool:
    with psycopg.connect(admin_url) as conn:
        return conn.execute("select 1 from pg_database where datname = %s",
                            (name,)).fetchone() is not None


def test_a_template_another_process_holds_is_not_pruned(tmp_path, canary_admin_url):
    settings = _settings(tmp_path, canary_admin_url)
    head = migrations.head(settings.versions_dir)
    template = ensure_template(canary_admin_url, settings.versions_dir, head)
    shadow.release_templates()  # only the other process holds it now
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, canary_admin_url, template],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        edited = sorted(settings.versions_dir.glob("0*.py"))[-1]
        edited.write_text(edited.read_text() + "\n# edited: the old template is stale\n")
        assert template not in [name for name, _ in
                                prune_templates(canary_admin_url, settings.versions_dir)]
        assert _exists(canary_admin_url, template)
    finally:
        holder.kill()
        holder.wait()
    dropped = prune_templates(canary_admin_url, settings.versions_dir)
    assert template in [name for name, _ in dropped]
    assert not _exists(canary_admin_url, template)


def test_a_template_dropped_by_hand_is_built_again(tmp_path, canary_admin_url):
    settings = _settings(tmp_path, canary_admin_url)
    head = migrations.head(settings.versions_dir)
    template = ensure_template(canary_admin_url, settings.versions_dir, head)
    shadow.drop_database(canary_admin_url, template)
    with schema_at(settings, head) as target, psycopg.connect(target.url) as conn:
        assert migrations.current_revision(conn) == head
    assert _exists(canary_admin_url, template)


def test_a_templates_snapshot_is_kept_and_read_again_when_the_template_is_made_again(
        tmp_path, canary_admin_url):
    """The snapshot of a template is kept in the cache folder for the next process, under the
    template's database: one dropped by hand and built again is read again."""
    settings = _settings(tmp_path, canary_admin_url)
    head = migrations.head(settings.versions_dir)
    build._snapshots.clear()  # as a new process starts (another test may have read it here)
    first = snapshot_at(settings, head)
    kept = sorted((tmp_path / "snapshots").glob("*.json"))
    assert len(kept) == 1

    build._snapshots.clear()  # as the next process starts
    assert snapshot_at(settings, head) == first
    assert sorted((tmp_path / "snapshots").glob("*.json")) == kept

    shadow.drop_database(canary_admin_url, ensure_template(canary_admin_url,
                                                           settings.versions_dir, head))
    build._snapshots.clear()
    again = snapshot_at(settings, head)
    assert again == first
    assert len(list((tmp_path / "snapshots").glob("*.json"))) == 2  # read from the new one
