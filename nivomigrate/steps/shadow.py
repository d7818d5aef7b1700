"""Shadow: see, stop and tidy the shadow server (`nivomigrate shadow status|stop|prune`).

nivomigrate's own server keeps running between commands (starting it costs seconds), and
each set of revisions leaves a template database on it. These commands make that visible.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nivomigrate import shadow
from nivomigrate.errors import ConfigError
from nivomigrate.findings import Report, Section

if TYPE_CHECKING:
    from nivomigrate.config import Settings


def shadow_status(settings: Settings) -> Report:
    """Return which shadow server is used, whether it runs, and its templates."""
    from nivomigrate.engine.build import chain_template_names

    server, rows, data = _server(settings)
    templates: list[dict] = []
    if server is not None:
        keep = chain_template_names(settings.versions_dir, role=shadow.login_role(server))
        templates = [{"name": name, "bytes": size, "in_chain": name in keep}
                     for name, size in shadow.templates(server)]
    stale = [t for t in templates if not t["in_chain"]]
    notes = (f"{len(stale)} template(s) of revisions no longer in the chain: "
             "`nivomigrate shadow prune` drops them",) if stale else ()
    return Report(
        command="shadow", title="nivomigrate shadow status", notes=notes,
        sections=(Section("Server", ("", ""), tuple(rows)),
                  Section("Templates", ("database", "size", "in today's chain"),
                          tuple((t["name"], _mb(t["bytes"]), "yes" if t["in_chain"] else "no")
                                for t in templates))),
        data={"server": data, "templates": templates})


def stop_shadow(settings: Settings) -> Report:
    """Stop nivomigrate's own server.

    Raises:
        ConfigError: the shadow server is configured (NIVOMIGRATE_SHADOW_URL): not ours.
    """
    if settings.shadow_url:
        raise ConfigError("the shadow server is set by URL: nivomigrate did not start it and "
                          "does not stop it", hint="stop it the way it was started")
    stopped = shadow.stop_own_server(settings.shadow_cache_dir)
    text = "stopped" if stopped else "was not running"
    return Report(command="shadow", title=f"nivomigrate shadow stop: the own server {text}",
                  data={"stopped": stopped})


def prune_shadow(settings: Settings) -> Report:
    """Drop the templates of revisions no longer in the chain (those in use are left)."""
    from nivomigrate.engine.build import prune_templates

    server, _, _ = _server(settings)
    dropped = prune_templates(server, settings.versions_dir) if server else []
    return Report(
        command="shadow",
        title=f"nivomigrate shadow prune: {len(dropped)} template(s) dropped, "
              f"{_mb(sum(size for _, size in dropped))} freed",
        sections=(Section("Dropped", ("database", "size"),
                          tuple((name, _mb(size)) for name, size in dropped)),),
        notes=() if server else ("the own server is not running: nothing to prune",),
        data={"dropped": [{"name": n, "bytes": b} for n, b in dropped]})


def _server(settings: Settings) -> tuple[str | None, list[tuple[str, str]], dict]:
    """Return (admin URL if reachable without starting anything, rows, JSON) of the server."""
    from nivomigrate.redaction import redact

    if settings.shadow_url:
        rows = [("kind", "configured (NIVOMIGRATE_SHADOW_URL)"),
                ("url", redact(settings.shadow_url))]
        return settings.shadow_url, rows, {"kind": "configured"}
    state = shadow.own_server_state(settings.shadow_cache_dir)
    if state is None:
        return None, [("kind", "own, never started")], {"kind": "own", "running": False}
    rows = [("kind", f"own (PostgreSQL {state.major_version})"),
            ("data", str(state.data_parent)), ("port", str(state.port)),
            ("running", "yes" if state.is_running else "no"), ("size", _mb(state.size_bytes))]
    data = {"kind": "own", "running": state.is_running, "port": state.port,
            "data_dir": str(state.data_parent), "bytes": state.size_bytes}
    url = f"postgresql://postgres@127.0.0.1:{state.port}/postgres" if state.is_running else None
    return url, rows, data


def _mb(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"
